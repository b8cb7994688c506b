-- name: advisory_exposure_by_geo
-- definition: Per runtime, published advisory, country and network tier, over the whole window: the hosts with a
--   runtime verdict of that runtime whose version the advisory affects on some day, those with no affected day
--   but an unknown one (version not read, or in a range no source rules on: never counted as affected), and all
--   the group's hosts. A host's place is its address's enrichment (country and tier 'unknown' without a geo row).
-- denominator: the group's hosts with a verdict of the runtime (affected_share)
-- window: the whole study window
-- params: none
WITH hv AS (
  SELECT e.host, e.runtime, v.advisory,
         max(CASE v.verdict WHEN 'affected' THEN 2 WHEN 'unknown' THEN 1 ELSE 0 END) AS r
  FROM (SELECT DISTINCT host, runtime, version FROM host_version_months) e
  JOIN advisory_versions v ON v.runtime = e.runtime AND v.version IS NOT DISTINCT FROM e.version
  GROUP BY ALL
),
place AS (
  SELECT i.host, coalesce(g.country, 'unknown') AS country, coalesce(g.tier, 'unknown') AS tier
  FROM (SELECT host, min(ip) AS ip FROM endpoint_ids GROUP BY host) i LEFT JOIN geo g ON g.ip = i.ip
)
SELECT hv.runtime, hv.advisory, p.country, p.tier, count(*) AS hosts, count(*) FILTER (WHERE r = 2) AS affected_hosts,
       count(*) FILTER (WHERE r = 1) AS unknown_hosts, count(*) FILTER (WHERE r = 2) / count(*) AS affected_share
FROM hv JOIN place p USING (host)
GROUP BY ALL ORDER BY hv.runtime, hv.advisory, p.country, p.tier
