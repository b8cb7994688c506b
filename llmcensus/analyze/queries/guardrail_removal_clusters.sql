-- name: guardrail_removal_clusters
-- definition: Standardized system-prompt templates: visible prompts grouped by enrichment's exact/near-duplicate
--   cluster, with the hosts carrying any prompt of the cluster and whether the cluster explicitly removes safety
--   guardrails. The study's ">= 201 hosts" is the sum over guardrail-removal clusters, counted once per host
--   (see the headline figure guardrail_removal_hosts). Prompts not yet enriched form the cluster 'unclassified'.
--   Population: successful Ollama observations and their hosts.
-- denominator: hosts with a visible system prompt (share_of_visible)
-- window: the whole study window
-- params: none
WITH v AS (SELECT DISTINCT i.host, i.prompt_sha FROM host_models i WHERE NOT i.cloud AND i.prompt_sha IS NOT NULL),
vis AS (SELECT count(DISTINCT host) AS n FROM v)
SELECT coalesce(p.cluster_id, 'unclassified') AS cluster_id, coalesce(p.cluster_kind, 'unknown') AS cluster_kind,
       coalesce(bool_or(p.guardrail_removal), false) AS guardrail_removal, count(DISTINCT v.host) AS hosts,
       count(DISTINCT v.host) / max(vis.n) AS share_of_visible, count(DISTINCT v.prompt_sha) AS prompts
FROM v LEFT JOIN prompts p USING (prompt_sha) CROSS JOIN vis
GROUP BY 1, 2 ORDER BY hosts DESC, cluster_id
