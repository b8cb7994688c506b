-- name: unauth_exposure_share
-- definition: Per UTC month, the share of hosts with a runtime verdict (every runtime) exposed to at least one
--   published advisory that an unauthenticated attacker can reach (unauthenticated_remote in the advisory table):
--   on some day of the month the host answered openly (a successful visit with auth open) with a version that
--   advisory affects. single_request_hosts: the same for advisories one request suffices for. unknown_hosts: not
--   exposed, but on an open day the version was unreadable or in a range no source rules on, for such an advisory
--   (never counted as exposed; exposed_share_upper adds them). behind_auth_hosts: no open day that month.
-- denominator: hosts with a runtime verdict that month
-- window: each UTC month of the study window in which some host had a runtime verdict
-- params: none
WITH vv AS (
  -- per (runtime, version): the worst verdict among advisories an unauthenticated attacker can reach, and whether
  -- one of those it is affected by needs a single request (a few hundred rows, read by every host-month below)
  SELECT v.runtime, v.version,
         max(CASE WHEN a.unauthenticated_remote THEN
               CASE v.verdict WHEN 'affected' THEN 2 WHEN 'unknown' THEN 1 ELSE 0 END ELSE 0 END) AS r,
         bool_or(a.single_request AND v.verdict = 'affected') AS single
  FROM advisory_versions v JOIN advisories a ON a.runtime = v.runtime AND a.advisory = v.advisory
  GROUP BY ALL
),
hd AS (
  SELECT e.host, e.month, bool_or(e.open) AS open, max(CASE WHEN e.open THEN coalesce(w.r, 0) ELSE 0 END) AS r,
         bool_or(e.open AND coalesce(w.single, false)) AS single
  FROM host_version_months e
  LEFT JOIN vv w ON w.runtime = e.runtime AND w.version IS NOT DISTINCT FROM e.version
  GROUP BY ALL
)
SELECT month, count(*) AS hosts, count(*) FILTER (WHERE r = 2) AS exposed_hosts,
       count(*) FILTER (WHERE single) AS single_request_hosts, count(*) FILTER (WHERE r = 1) AS unknown_hosts,
       count(*) FILTER (WHERE NOT open) AS behind_auth_hosts,
       count(*) FILTER (WHERE r = 2) / count(*) AS exposed_share,
       count(*) FILTER (WHERE r >= 1) / count(*) AS exposed_share_upper
FROM hd GROUP BY month ORDER BY month
