-- name: show_coverage
-- definition: Where the per-model /api/show fields (capabilities, system prompt, template, license) of each local
--   model instance came from: fetched from the host in this sweep, cached from what the same host said in an
--   earlier sweep (never from another host), skipped
--   because the per-host request budget was spent (those fields are then unknown on that visit), failed, or
--   not applicable (cloud stubs, look-alikes). Capability, prompt and lineage figures can only count what was
--   read: the skipped_budget row bounds how far they may fall short of a probe without a budget.
--   Population: successful Ollama observations and their hosts.
-- denominator: all local model instances (instance_share); all unique hosts (host_share)
-- window: the whole study window
-- params: none
SELECT coalesce(r.show_status, 'unknown') AS show_status, CAST(sum(i.instances) AS BIGINT) AS instances,
       sum(i.instances) / sum(sum(i.instances)) OVER () AS instance_share, count(DISTINCT i.host) AS hosts,
       count(DISTINCT i.host) / (SELECT count(*) FROM host_stats) AS host_share
FROM host_model i JOIN model_catalog_raw r USING (model_key)
WHERE NOT (coalesce(r.remote_host, '') <> '' OR r.name LIKE '%:cloud' OR r.name LIKE '%-cloud')
GROUP BY 1 ORDER BY instances DESC, 1
