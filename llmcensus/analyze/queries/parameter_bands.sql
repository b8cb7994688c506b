-- name: parameter_bands
-- definition: Parameter-size bands of local models (enrichment's param_band from details.parameter_size:
--   <1B, 1-3B, 4-7B, 8-14B, 15-34B, 35-70B, >70B, unknown): hosts carrying at least one model of the band
--   (host_share), the band's share of (host, band) pairs, a host counted once in each band it carries
--   (host_band_share: the distribution of hosts over bands, which sums to 1; the reading under which the study's
--   "8-14B most prevalent at 26 % of hosts, 1-3B and 4-7B close behind" can hold, docs/simulation.md) and
--   instances.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts (host_share); (host, band) pairs (host_band_share); local instances (instance_share)
-- window: the whole study window
-- params: none
SELECT param_band, count(DISTINCT host) AS hosts, count(DISTINCT host) / (SELECT count(*) FROM host_stats) AS host_share,
       count(DISTINCT host) / sum(count(DISTINCT host)) OVER () AS host_band_share,
       sum(instances) AS instances, sum(instances) / sum(sum(instances)) OVER () AS instance_share
FROM host_models WHERE NOT cloud GROUP BY param_band
ORDER BY CASE param_band WHEN '<1B' THEN 1 WHEN '1-3B' THEN 2 WHEN '4-7B' THEN 3 WHEN '8-14B' THEN 4
                         WHEN '15-34B' THEN 5 WHEN '35-70B' THEN 6 WHEN '>70B' THEN 7 ELSE 8 END
