-- name: upgrade_latency
-- definition: How fast exposed endpoints move to a new version, per runtime and version upgraded to: for every
--   version_upgrade event, the days from the first day any endpoint of the dataset reported that version (the
--   observatory's own first sighting, a lower bound on its release date) to the day this endpoint was first seen
--   running it. Endpoints that never upgrade do not appear: see version_mix for what stays behind.
-- denominator: version_upgrade events to the version (upgrades); latencies are per event
-- window: the whole study window
-- params: none
WITH first AS (
  SELECT runtime, version, min(first_day) AS first_day FROM endpoint_months WHERE version IS NOT NULL
  GROUP BY ALL
),
ups AS (
  SELECT e.runtime, e.subject AS version, f.first_day, e.day - f.first_day AS days
  FROM events e JOIN first f ON f.runtime = e.runtime AND f.version = e.subject
  WHERE e.kind = 'version_upgrade'
)
SELECT runtime, version, first_day, count(*) AS upgrades, median(days) AS median_days,
       CAST(max(days) AS BIGINT) AS max_days
FROM ups GROUP BY runtime, version, first_day ORDER BY runtime, first_day, version
