-- name: uncensored_models
-- definition: Name-based uncensored/abliterated local models (enrichment's name markers: abliterated, uncensored,
--   dolphin, ...), kept apart from prompt-based guardrail removal: hosts and instances per marker, and the row
--   'any' for hosts with at least one such model.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
WITH u AS (
  SELECT host, coalesce(uncensored_marker, 'unspecified') AS marker, instances FROM host_models
  WHERE NOT cloud AND uncensored_name
)
SELECT marker, count(DISTINCT host) AS hosts, count(DISTINCT host) / (SELECT count(*) FROM host_stats) AS host_share,
       sum(instances) AS instances
FROM (SELECT * FROM u UNION ALL SELECT host, 'any', instances FROM u) GROUP BY marker ORDER BY hosts DESC, marker
