-- name: capability_sets
-- definition: Hosts by their capability set: the sorted union of capabilities labelled yes over the host's local
--   models, e.g. 'completion,tools'. 'none' = no capability (or no local model); 'unknown' = at least one local model
--   of unknown capability, so the exact set cannot be known.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
WITH s AS (
  SELECT host, CASE WHEN bool_or(label = 'unknown') THEN 'unknown'
                    ELSE coalesce(string_agg(capability, ',' ORDER BY capability) FILTER (WHERE label = 'yes'), 'none')
               END AS capability_set
  FROM host_capabilities GROUP BY host
)
SELECT capability_set, count(*) AS hosts, count(*) / (SELECT count(*) FROM host_stats) AS host_share
FROM s GROUP BY capability_set ORDER BY hosts DESC, capability_set
