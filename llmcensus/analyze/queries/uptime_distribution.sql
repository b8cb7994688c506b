-- name: uptime_distribution
-- definition: Per host uptime is the share of sweep days (UTC days on which any visit happened) from the host's
--   first successful day to the end of the window on which it answered as Ollama. Hosts are bucketed by uptime
--   in quarters ([0, 0.25), [0.25, 0.5), [0.5, 0.75), [0.75, 1]); the row 'all' gives every host. A host first
--   seen on the last day has uptime 1 from a single opportunity, so read uptime with persistence.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: each host's first successful day to the last sweep day
-- params: none
WITH b AS (
  SELECT CASE WHEN uptime < 0.25 THEN 'lt_0_25' WHEN uptime < 0.5 THEN 'from_0_25_to_0_5'
              WHEN uptime < 0.75 THEN 'from_0_5_to_0_75' ELSE 'from_0_75_to_1' END AS bucket, uptime
  FROM host_stats
)
SELECT bucket, count(*) AS hosts, count(*) / (SELECT count(*) FROM host_stats) AS host_share, avg(uptime) AS mean_uptime
FROM (SELECT * FROM b UNION ALL SELECT 'all', uptime FROM host_stats)
GROUP BY bucket
ORDER BY CASE bucket WHEN 'lt_0_25' THEN 1 WHEN 'from_0_25_to_0_5' THEN 2 WHEN 'from_0_5_to_0_75' THEN 3
                     WHEN 'from_0_75_to_1' THEN 4 ELSE 5 END
