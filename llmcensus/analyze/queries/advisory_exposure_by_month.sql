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
WITH hr AS (
  -- per (host, month, runtime): how many versions the host reported, the version when it is one, and all its days;
  -- host_version_months has a few rows per host and month instead of one per endpoint and day
  SELECT host, month, runtime, count(DISTINCT hash(version)) AS nv, any_value(version) AS version,
         bit_or(days) AS alld
  FROM host_version_months GROUP BY ALL
),
-- most host-months ran one version: their verdict is that version's, so they are counted by (month, version)
single AS (
  SELECT month, runtime, version, count(*) AS hosts, sum(bit_count(alld)) AS days FROM hr WHERE nv = 1 GROUP BY ALL
),
single_agg AS (
  SELECT s.month, s.runtime, v.advisory, sum(s.hosts) AS hosts,
         coalesce(sum(s.hosts) FILTER (WHERE v.verdict = 'affected'), 0) AS affected_hosts,
         coalesce(sum(s.hosts) FILTER (WHERE v.verdict = 'unknown'), 0) AS unknown_hosts,
         coalesce(sum(s.hosts) FILTER (WHERE v.verdict NOT IN ('affected', 'unknown')), 0) AS not_affected_hosts,
         coalesce(sum(s.days) FILTER (WHERE v.verdict = 'affected'), 0) AS affected_host_days,
         coalesce(sum(s.days) FILTER (WHERE v.verdict = 'unknown'), 0) AS unknown_host_days, sum(s.days) AS host_days
  FROM single s JOIN advisory_versions v ON v.runtime = s.runtime AND v.version IS NOT DISTINCT FROM s.version
  GROUP BY ALL
),
-- a host-month with several versions: the days (bit sets) on which an endpoint ran an affected version, an unknown
-- one, any one; the worst verdict of a day is then a bit operation
hm AS (
  SELECT h.month, h.runtime, v.advisory, h.host, bit_or(h.days) FILTER (WHERE v.verdict = 'affected') AS aff,
         bit_or(h.days) FILTER (WHERE v.verdict = 'unknown') AS unk, bit_or(h.days) AS alld
  FROM host_version_months h JOIN hr r ON r.host = h.host AND r.month = h.month AND r.runtime = h.runtime AND r.nv > 1
  JOIN advisory_versions v ON v.runtime = h.runtime AND v.version IS NOT DISTINCT FROM h.version
  GROUP BY ALL
),
multi_agg AS (
  SELECT month, runtime, advisory, count(*) AS hosts, count(*) FILTER (WHERE aff IS NOT NULL) AS affected_hosts,
         count(*) FILTER (WHERE aff IS NULL AND unk IS NOT NULL) AS unknown_hosts,
         count(*) FILTER (WHERE aff IS NULL AND unk IS NULL) AS not_affected_hosts,
         sum(bit_count(coalesce(aff, 0::UINTEGER))) AS affected_host_days,
         sum(bit_count(coalesce(unk, 0::UINTEGER) & ~coalesce(aff, 0::UINTEGER))) AS unknown_host_days,
         sum(bit_count(alld)) AS host_days
  FROM hm GROUP BY ALL
),
agg AS (
  SELECT month, runtime, advisory, CAST(sum(hosts) AS BIGINT) AS hosts,
         CAST(sum(affected_hosts) AS BIGINT) AS affected_hosts, CAST(sum(unknown_hosts) AS BIGINT) AS unknown_hosts,
         CAST(sum(not_affected_hosts) AS BIGINT) AS not_affected_hosts,
         CAST(sum(affected_host_days) AS BIGINT) AS affected_host_days,
         CAST(sum(unknown_host_days) AS BIGINT) AS unknown_host_days, CAST(sum(host_days) AS BIGINT) AS host_days
  FROM (SELECT * FROM single_agg UNION ALL SELECT * FROM multi_agg) GROUP BY ALL
)
SELECT g.month, g.runtime, g.advisory, a.severity, g.hosts, g.affected_hosts, g.unknown_hosts, g.not_affected_hosts,
       g.affected_hosts / g.hosts AS affected_share, g.affected_host_days, g.unknown_host_days, g.host_days
FROM agg g JOIN advisories a USING (runtime, advisory)
ORDER BY g.month, g.runtime, g.advisory
