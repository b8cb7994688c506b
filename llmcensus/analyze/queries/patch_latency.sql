-- name: patch_latency
-- definition: How fast exposed endpoints patch, per runtime and published advisory with a fixed version: the
--   version_upgrade events from a version the advisory affects to one at or past the fix, and for each the days
--   from the fix's first sighting (the first day any endpoint of the runtime reported a fixed version: the
--   observatory's own lower bound on the fix's release, since no release dates are bundled) and from the
--   advisory's publication (negative when the endpoint upgraded before the advisory was published) to the day the
--   endpoint was first seen past the fix. endpoints_still_affected: endpoints whose last day with a verdict
--   reports an affected version. Advisories without a published fix are absent: nothing to patch to.
-- denominator: upgrades past the fix (latencies are per event); endpoints of the runtime (still affected)
-- window: the whole study window
-- params: none
WITH fixes AS (
  SELECT a.runtime, a.advisory, a.fixed, a.published FROM advisories a
  WHERE a.fixed IS NOT NULL AND a.runtime IN (SELECT runtime FROM endpoint_months)
),
seen AS (
  SELECT v.runtime, v.advisory, min(e.first_day) AS fix_first_seen
  FROM (SELECT runtime, version, min(first_day) AS first_day FROM endpoint_months GROUP BY ALL) e
  JOIN advisory_versions v ON v.runtime = e.runtime AND v.version = e.version
  WHERE v.verdict = 'fixed' GROUP BY ALL
),
ups AS (
  SELECT f.runtime, f.advisory, ev.day, ev.day - s.fix_first_seen AS from_seen, ev.day - f.published AS from_published
  FROM events ev JOIN fixes f ON f.runtime = ev.runtime
  JOIN advisory_versions old ON old.runtime = ev.runtime AND old.version = ev.previous AND old.advisory = f.advisory
  JOIN advisory_versions new ON new.runtime = ev.runtime AND new.version = ev.subject AND new.advisory = f.advisory
  LEFT JOIN seen s ON s.runtime = f.runtime AND s.advisory = f.advisory
  WHERE ev.kind = 'version_upgrade' AND old.verdict = 'affected' AND new.verdict = 'fixed'
),
last AS (  -- each endpoint's state on its last day (one endpoint_months row holds it)
  SELECT endpoint, arg_max_null(runtime, last_day) AS runtime, arg_max_null(version, last_day) AS version
  FROM endpoint_months GROUP BY endpoint
),
still AS (
  SELECT v.runtime, v.advisory, count(*) AS n FROM last l
  JOIN advisory_versions v ON v.runtime = l.runtime AND v.version IS NOT DISTINCT FROM l.version
  WHERE v.verdict = 'affected' GROUP BY ALL
)
SELECT f.runtime, f.advisory, f.fixed, f.published, s.fix_first_seen, count(u.day) AS upgrades_past_fix,
       median(u.from_seen) AS median_days_from_fix_seen, CAST(max(u.from_seen) AS BIGINT) AS max_days_from_fix_seen,
       median(u.from_published) AS median_days_from_published,
       CAST(coalesce(any_value(st.n), 0) AS BIGINT) AS endpoints_still_affected
FROM fixes f LEFT JOIN seen s USING (runtime, advisory) LEFT JOIN ups u USING (runtime, advisory)
LEFT JOIN still st USING (runtime, advisory)
GROUP BY f.runtime, f.advisory, f.fixed, f.published, s.fix_first_seen ORDER BY f.runtime, f.advisory
