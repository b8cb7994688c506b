-- name: high_capability_availability
-- definition: The high-capability, high-availability subset: hosts that carry at least one local model whose
--   tools capability is 'yes' and whose uptime (see uptime_distribution) is at least high_availability_uptime.
--   Reported with its share of all hosts, its mean uptime and the mean number of running models per observation
--   (over observations where /api/ps was read).
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts (host_share)
-- window: the whole study window
-- params: high_availability_uptime = 0.8
WITH tool_hosts AS (
  SELECT host FROM host_capabilities WHERE capability = 'tools' AND label = 'yes'
),
subset AS (
  SELECT h.* FROM host_stats h JOIN tool_hosts t USING (host) WHERE h.uptime >= $high_availability_uptime
)
SELECT count(*) AS hosts, count(*) / (SELECT count(*) FROM host_stats) AS host_share,
       avg(uptime) AS mean_uptime,
       (SELECT sum(m.running_sum) / sum(m.running_n) FROM host_months m WHERE m.host IN (SELECT host FROM subset))
         AS mean_running_models
FROM subset
