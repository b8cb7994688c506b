-- name: advisory_exposure_by_geo
-- definition: Per runtime, published advisory, country and network tier, over the whole window: the hosts with a
--   runtime verdict of that runtime whose version the advisory affects on some day, those with no affected day
--   but an unknown one (version not read, or in a range no source rules on: never counted as affected), and all
--   the group's hosts. A host's place is its address's enrichment (country and tier 'unknown' without a geo row).
-- denominator: the group's hosts with a verdict of the runtime (affected_share)
-- window: the whole study window
-- params: none
WITH hv AS (
  -- per (host, runtime): the set of versions it reported over the window (null = not read, kept as a member)
  SELECT host, runtime, list_sort(list(DISTINCT coalesce(version, chr(0)))) AS versions
  FROM host_version_months GROUP BY ALL
),
place AS (
  SELECT i.host, coalesce(g.country, 'unknown') AS country, coalesce(g.tier, 'unknown') AS tier
  FROM (SELECT host, min(ip) AS ip FROM endpoint_ids GROUP BY host) i LEFT JOIN geo g ON g.ip = i.ip
),
-- hosts with the same version set in the same place share every verdict: count them once per set
groups AS (
  SELECT hv.runtime, hv.versions, p.country, p.tier, count(*) AS hosts FROM hv JOIN place p USING (host) GROUP BY ALL
),
-- a set's verdict on an advisory: affected if one of its versions is, else unknown if one is
set_verdicts AS (
  SELECT s.runtime, s.versions, v.advisory,
         max(CASE v.verdict WHEN 'affected' THEN 2 WHEN 'unknown' THEN 1 ELSE 0 END) AS r
  FROM (SELECT DISTINCT runtime, versions FROM groups) s, unnest(s.versions) u(version)
  JOIN advisory_versions v ON v.runtime = s.runtime
   AND v.version IS NOT DISTINCT FROM nullif(u.version, chr(0))
  GROUP BY ALL
)
SELECT g.runtime, v.advisory, g.country, g.tier, CAST(sum(g.hosts) AS BIGINT) AS hosts,
       CAST(coalesce(sum(g.hosts) FILTER (WHERE v.r = 2), 0) AS BIGINT) AS affected_hosts,
       CAST(coalesce(sum(g.hosts) FILTER (WHERE v.r = 1), 0) AS BIGINT) AS unknown_hosts,
       coalesce(sum(g.hosts) FILTER (WHERE v.r = 2), 0) / sum(g.hosts) AS affected_share
FROM groups g JOIN set_verdicts v USING (runtime, versions)
GROUP BY ALL ORDER BY g.runtime, v.advisory, g.country, g.tier
