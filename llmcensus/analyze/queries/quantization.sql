-- name: quantization
-- definition: Quantization levels (details.quantization_level as sent; 'unknown' when absent) of local models,
--   counted per instance (a model listed in one observation) and per host (hosts carrying the level at least once;
--   the study's Q4_K_M on 48 % of hosts).
--   Population: successful Ollama observations and their hosts.
-- denominator: all local model instances (instance_share); all unique hosts (host_share)
-- window: the whole study window
-- params: none
SELECT coalesce(nullif(quantization_level, ''), 'unknown') AS quantization_level, sum(instances) AS instances,
       sum(instances) / sum(sum(instances)) OVER () AS instance_share, count(DISTINCT host) AS hosts,
       count(DISTINCT host) / (SELECT count(*) FROM host_stats) AS host_share
FROM host_models WHERE NOT cloud GROUP BY 1 ORDER BY instances DESC, 1
