-- name: quantization_by_tier
-- definition: Per infrastructure tier and quantization level (details.quantization_level as sent), local model
--   instances and their share of the tier's instances, hosts carrying that level and their share of the tier's
--   hosts, and the level's rank in the tier by instances (rank 1 = the tier's top format, e.g. Q4_K_M).
--   Population: successful Ollama observations and their hosts.
-- denominator: local model instances of the tier (instance_share); all unique hosts of the tier (host_share)
-- window: the whole study window
-- params: none
WITH t AS (SELECT tier, count(*) AS tier_hosts FROM host_geo GROUP BY tier),
q AS (
  SELECT g.tier, coalesce(i.quantization_level, 'unknown') AS quantization_level, sum(i.instances) AS instances,
         count(DISTINCT i.host) AS hosts
  FROM host_models i JOIN host_geo g USING (host) WHERE NOT i.cloud GROUP BY 1, 2
)
SELECT q.tier, q.quantization_level, q.instances, q.instances / sum(q.instances) OVER (PARTITION BY q.tier) AS instance_share,
       q.hosts, q.hosts / t.tier_hosts AS host_share,
       rank() OVER (PARTITION BY q.tier ORDER BY q.instances DESC) AS rank
FROM q JOIN t USING (tier) ORDER BY q.tier, rank, q.quantization_level
