-- name: tiers
-- definition: Unique hosts per infrastructure tier (hyperscaler, indie_cloud, telecom_residential, academic,
--   enterprise, unknown) of the host's address; 'unknown' is reported as a share like any other tier (the
--   study's attribution gap).
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
SELECT tier, count(*) AS hosts, count(*) / (SELECT count(*) FROM host_geo) AS host_share
FROM host_geo GROUP BY tier ORDER BY hosts DESC, tier
