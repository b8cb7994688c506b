-- name: capability_coverage
-- definition: Per capability (completion, tools, insert, vision, embedding, thinking), hosts whose local models
--   include one labelled yes (reported by /api/show or inferred by enrichment), hosts with no yes but some model
--   of unknown capability (typically versions before v0.6.4, which report none; thinking before v0.9.0), and hosts
--   with a definite no. share_yes divides by all hosts (the study's "share of all hosts"); share_yes_of_known
--   leaves the unknown hosts out, so the honest range is [share_yes, share_yes + share_unknown].
--   hosts_reported / share_reported count only what hosts say themselves (a local model's own capability list,
--   v0.6.4+), as the study did: no inference, so they depend on the version mix.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts (share_yes, share_unknown); hosts whose label is yes or no (share_yes_of_known)
-- window: the whole study window
-- params: none
WITH rep AS (SELECT capability, count(*) AS hosts_reported FROM host_reported_capabilities GROUP BY capability)
SELECT capability, count(*) FILTER (WHERE label = 'yes') AS hosts_yes,
       count(*) FILTER (WHERE label = 'unknown') AS hosts_unknown, count(*) FILTER (WHERE label = 'no') AS hosts_no,
       count(*) FILTER (WHERE label = 'yes') / count(*) AS share_yes,
       count(*) FILTER (WHERE label = 'unknown') / count(*) AS share_unknown,
       count(*) FILTER (WHERE label = 'yes') / nullif(count(*) FILTER (WHERE label <> 'unknown'), 0) AS share_yes_of_known,
       coalesce(any_value(r.hosts_reported), 0) AS hosts_reported,
       coalesce(any_value(r.hosts_reported), 0) / count(*) AS share_reported
FROM host_capabilities LEFT JOIN rep r USING (capability) GROUP BY capability
ORDER BY CASE capability WHEN 'completion' THEN 1 WHEN 'tools' THEN 2 WHEN 'vision' THEN 3 WHEN 'thinking' THEN 4
                         WHEN 'embedding' THEN 5 ELSE 6 END
