-- name: high_capability_availability
-- definition: The high-capability, high-availability subset: hosts that carry at least one local model whose
--   tools capability is 'yes' and whose uptime (see uptime_distribution) is at least high_availability_uptime.
--   Reported with its share of all hosts, its mean uptime and the mean number of running models per observation
--   (over observations where /api/ps was read). The *_reported columns read "tool-capable" as the hosts say it
--   themselves (a local model's own capability list, v0.6.4+, as capability_coverage.share_reported), the study's
--   reading ("hosts advertise tool-calling capabilities via their API endpoints").
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts (host_share, host_share_reported)
-- window: the whole study window
-- params: high_availability_uptime = 0.8
WITH available AS (
  SELECT host, uptime FROM host_stats WHERE uptime >= $high_availability_uptime
),
tool_hosts AS (
  SELECT 'labelled' AS reading, host FROM host_capabilities WHERE capability = 'tools' AND label = 'yes'
  UNION ALL
  SELECT 'reported' AS reading, host FROM host_reported_capabilities WHERE capability = 'tools'
),
subsets AS (SELECT t.reading, a.host, a.uptime FROM available a JOIN tool_hosts t USING (host)),
running AS (
  SELECT s.reading, sum(m.running_sum) / sum(m.running_n) AS mean_running_models
  FROM subsets s JOIN host_months m USING (host) GROUP BY s.reading
),
figures AS (
  SELECT s.reading, count(*) AS hosts, count(*) / (SELECT count(*) FROM host_stats) AS host_share,
         avg(s.uptime) AS mean_uptime, any_value(r.mean_running_models) AS mean_running_models
  FROM subsets s LEFT JOIN running r USING (reading) GROUP BY s.reading
),
labelled AS (SELECT * FROM figures WHERE reading = 'labelled'),
reported AS (SELECT * FROM figures WHERE reading = 'reported')
SELECT coalesce(l.hosts, 0) AS hosts, coalesce(l.host_share, 0) AS host_share, l.mean_uptime,
       l.mean_running_models, coalesce(r.hosts, 0) AS hosts_reported,
       coalesce(r.host_share, 0) AS host_share_reported, r.mean_uptime AS mean_uptime_reported,
       r.mean_running_models AS mean_running_models_reported
FROM (SELECT 1 AS one) k LEFT JOIN labelled l ON true LEFT JOIN reported r ON true
