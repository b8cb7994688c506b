-- name: completion_tools
-- definition: The study's [completion, tools] pattern, both readings: hosts whose capability union includes
--   completion and tools (hosts_including), and hosts whose union is exactly {completion, tools} (hosts_exact; hosts
--   with a model of unknown capability are not counted as exact).
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
WITH s AS (
  SELECT host, bool_or(capability = 'completion' AND label = 'yes') AS has_completion,
         bool_or(capability = 'tools' AND label = 'yes') AS has_tools,
         count(*) FILTER (WHERE label = 'yes' AND capability NOT IN ('completion', 'tools')) AS others,
         bool_or(label = 'unknown') AS any_unknown
  FROM host_capabilities GROUP BY host
)
SELECT count(*) FILTER (WHERE has_completion AND has_tools) AS hosts_including,
       count(*) FILTER (WHERE has_completion AND has_tools) / count(*) AS share_including,
       count(*) FILTER (WHERE has_completion AND has_tools AND others = 0 AND NOT any_unknown) AS hosts_exact,
       count(*) FILTER (WHERE has_completion AND has_tools AND others = 0 AND NOT any_unknown) / count(*) AS share_exact
FROM s
