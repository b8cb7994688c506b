-- name: parameter_bands
-- definition: Parameter-size bands of local models (enrichment's param_band from details.parameter_size:
--   <1B, 1-3B, 4-7B, 8-14B, 15-34B, 35-70B, >70B, unknown): hosts carrying at least one model of the band (the
--   study's 8-14B on 26 % of hosts) and instances.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts (host_share); all local model instances (instance_share)
-- window: the whole study window
-- params: none
SELECT param_band, count(DISTINCT host) AS hosts, count(DISTINCT host) / (SELECT count(*) FROM host_stats) AS host_share,
       sum(instances) AS instances, sum(instances) / sum(sum(instances)) OVER () AS instance_share
FROM host_models WHERE NOT cloud GROUP BY param_band
ORDER BY CASE param_band WHEN '<1B' THEN 1 WHEN '1-3B' THEN 2 WHEN '4-7B' THEN 3 WHEN '8-14B' THEN 4
                         WHEN '15-34B' THEN 5 WHEN '35-70B' THEN 6 WHEN '>70B' THEN 7 ELSE 8 END
