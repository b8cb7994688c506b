-- name: version_mix
-- definition: Ollama versions as sent by /api/version ('unknown' when not read): observations and unique hosts per
--   version. A host that upgraded counts under each version it ran, so host shares can sum above 1.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts (host_share); all successful Ollama observations (observation_share)
-- window: the whole study window
-- params: none
SELECT coalesce(version, 'unknown') AS version, CAST(sum(observations) AS BIGINT) AS observations,
       sum(observations) / (SELECT sum(observations) FROM host_versions) AS observation_share,
       count(DISTINCT host) AS hosts, count(DISTINCT host) / (SELECT count(*) FROM host_stats) AS host_share
FROM host_versions GROUP BY 1 ORDER BY hosts DESC, version
