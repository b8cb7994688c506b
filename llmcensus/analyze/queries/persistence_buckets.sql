-- name: persistence_buckets
-- definition: Hosts bucketed by their number of successful Ollama observations: exactly 1 (transient),
--   2 to persistent_min_obs, and more than persistent_min_obs (the persistent backbone). For each bucket, its
--   share of unique hosts next to its share of all observations: the study's 36 % -> < 1 % and 13 % -> 76 % checks.
-- denominator: all unique hosts (host_share); all successful Ollama observations (observation_share)
-- window: the whole study window
-- params: persistent_min_obs = 100
WITH b AS (
  SELECT CASE WHEN observations = 1 THEN 'exactly_1'
              WHEN observations <= $persistent_min_obs THEN 'from_2_to_threshold'
              ELSE 'over_threshold' END AS bucket, observations
  FROM host_stats
)
SELECT bucket, count(*) AS hosts, count(*) / (SELECT count(*) FROM host_stats) AS host_share,
       CAST(sum(observations) AS BIGINT) AS observations, sum(observations) / (SELECT sum(observations) FROM host_stats) AS observation_share
FROM b GROUP BY bucket
ORDER BY CASE bucket WHEN 'exactly_1' THEN 1 WHEN 'from_2_to_threshold' THEN 2 ELSE 3 END
