-- name: advisory_exposure_by_month
-- definition: Per UTC month, runtime and published advisory of that runtime (the bundled table,
--   llmcensus/reference/data/advisories.csv): the hosts with a runtime verdict of that runtime (a successful or an
--   auth_required visit) whose version the advisory affects, those whose version is unknown (not read, e.g. behind
--   an auth wall, or in a range no source rules on: a never-fixed flaw after the last version reported affected),
--   and the rest; the same in host-days. A host-day takes the worst verdict of the host's endpoints that day
--   (affected, then unknown); a host-month is affected if one of its days is, else unknown if one is. Unknown is
--   never counted as affected: the honest range of the affected share is [affected_share, affected_share +
--   unknown_hosts / hosts].
-- denominator: hosts with a verdict of the runtime that month (affected_share); their host-days (host_days)
-- window: each UTC month of the study window in which the runtime had a verdict
-- params: none
WITH hd AS (
  SELECT e.host, e.day, CAST(date_trunc('month', e.day) AS DATE) AS month, e.runtime, v.advisory,
         max(CASE v.verdict WHEN 'affected' THEN 2 WHEN 'unknown' THEN 1 ELSE 0 END) AS r
  FROM endpoint_days e
  JOIN advisory_versions v ON v.runtime = e.runtime AND v.version IS NOT DISTINCT FROM e.version
  GROUP BY ALL
),
hm AS (SELECT month, runtime, advisory, host, max(r) AS r FROM hd GROUP BY ALL),
days AS (
  SELECT month, runtime, advisory, count(*) FILTER (WHERE r = 2) AS affected_host_days,
         count(*) FILTER (WHERE r = 1) AS unknown_host_days, count(*) AS host_days
  FROM hd GROUP BY ALL
),
hosts AS (
  SELECT month, runtime, advisory, count(*) AS hosts, count(*) FILTER (WHERE r = 2) AS affected_hosts,
         count(*) FILTER (WHERE r = 1) AS unknown_hosts, count(*) FILTER (WHERE r = 0) AS not_affected_hosts
  FROM hm GROUP BY ALL
)
SELECT h.month, h.runtime, h.advisory, a.severity, h.hosts, h.affected_hosts, h.unknown_hosts, h.not_affected_hosts,
       h.affected_hosts / h.hosts AS affected_share, d.affected_host_days, d.unknown_host_days, d.host_days
FROM hosts h JOIN days d USING (month, runtime, advisory) JOIN advisories a USING (runtime, advisory)
ORDER BY h.month, h.runtime, h.advisory
