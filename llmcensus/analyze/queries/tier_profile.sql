-- name: tier_profile
-- definition: Per infrastructure tier: unique hosts, observations, mean observations per host (persistence),
--   running share (share of observations whose /api/ps listed at least one loaded model, among observations where
--   /api/ps was read) and mean inventory size (models listed by /api/tags per observation).
-- denominator: observations of the tier with /api/ps read (running_share); observations of the tier (inventory)
-- window: the whole study window
-- params: none
SELECT g.tier, count(DISTINCT o.host) AS hosts, count(*) AS observations,
       count(*) / count(DISTINCT o.host) AS mean_observations_per_host,
       avg(CASE WHEN o.running_count IS NULL THEN NULL WHEN o.running_count > 0 THEN 1.0 ELSE 0.0 END)
         AS running_share,
       avg(o.model_count) AS mean_inventory_size
FROM ollama_obs o JOIN host_geo g USING (host)
GROUP BY g.tier ORDER BY hosts DESC, g.tier
