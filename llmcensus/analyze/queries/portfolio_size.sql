-- name: portfolio_size
-- definition: Hosts bucketed by portfolio size = the largest inventory (models listed by /api/tags) seen in any
--   of the host's observations: 0, 1, 2-3, 4-5, 6-10, 11-19, 20 or more.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
WITH b AS (
  SELECT CASE WHEN max_models = 0 THEN '0' WHEN max_models = 1 THEN '1' WHEN max_models <= 3 THEN '2-3'
              WHEN max_models <= 5 THEN '4-5' WHEN max_models <= 10 THEN '6-10' WHEN max_models <= 19 THEN '11-19'
              ELSE '20+' END AS portfolio, max_models
  FROM host_stats
)
SELECT portfolio, count(*) AS hosts, count(*) / (SELECT count(*) FROM host_stats) AS host_share
FROM b GROUP BY portfolio ORDER BY min(max_models)
