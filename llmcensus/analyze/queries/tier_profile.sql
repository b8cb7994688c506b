-- name: tier_profile
-- definition: Per infrastructure tier: unique hosts, observations, mean observations per host (persistence),
--   running share (share of observations whose /api/ps listed at least one loaded model, among observations where
--   /api/ps was read) and mean inventory size (models listed by /api/tags per observation).
--   Population: successful Ollama observations and their hosts.
-- denominator: observations of the tier with /api/ps read (running_share); observations of the tier (inventory)
-- window: the whole study window
-- params: none
WITH h AS (  -- per host first (one row per host, not per observation), then per tier: exact integer counts
  SELECT host, sum(observations) AS observations, sum(running_n) AS ps_read, sum(running_positive) AS running,
         sum(models_sum) AS models, sum(models_n) AS with_models
  FROM host_months GROUP BY host
)
SELECT g.tier, count(*) AS hosts, CAST(sum(h.observations) AS BIGINT) AS observations,
       sum(h.observations) / count(*) AS mean_observations_per_host,
       sum(h.running) / nullif(sum(h.ps_read), 0) AS running_share,
       sum(h.models) / nullif(sum(h.with_models), 0) AS mean_inventory_size
FROM h JOIN host_geo g USING (host)
GROUP BY g.tier ORDER BY hosts DESC, g.tier
