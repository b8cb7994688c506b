-- name: version_mix
-- definition: Ollama versions as sent by /api/version ('unknown' when not read): observations and unique hosts per
--   version. A host that upgraded counts under each version it ran, so host shares can sum above 1.
-- denominator: all unique hosts (host_share); all successful Ollama observations (observation_share)
-- window: the whole study window
-- params: none
SELECT coalesce(version, 'unknown') AS version, count(*) AS observations,
       count(*) / (SELECT count(*) FROM ollama_obs) AS observation_share, count(DISTINCT host) AS hosts,
       count(DISTINCT host) / (SELECT count(*) FROM host_stats) AS host_share
FROM ollama_obs GROUP BY 1 ORDER BY hosts DESC, version
