-- name: lineage_ranking
-- definition: Model lineages (enrichment's name/digest/FROM-line normalisation: deepseek-r1, qwen2.5-coder, ...;
--   'unknown' when not enriched) of local models ranked by unique hosts, with instances and host-days (summed
--   over the lineage's models, so a host listing two models of one lineage on a day counts that day twice).
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
SELECT lineage, count(DISTINCT host) AS hosts, count(DISTINCT host) / (SELECT count(*) FROM host_stats) AS host_share,
       sum(instances) AS instances, sum(host_days) AS host_days,
       rank() OVER (ORDER BY count(DISTINCT host) DESC) AS rank
FROM host_models WHERE NOT cloud GROUP BY lineage ORDER BY rank, lineage
