-- name: lineage_adoption_by_day
-- definition: Adoption of each model lineage per UTC day, every runtime: per day and lineage, the hosts that listed
--   a local model of the lineage on a successful visit that day, their share of the day's hosts with a local
--   model, and the days from the lineage's first public release (lineage_catalog; null when no dated source).
--   Only the last adoption_last_days days up to the last day any host listed a local model (0: every day).
-- denominator: hosts of any runtime that listed a local model on the day (host_share)
-- window: each UTC day with a successful visit listing a local model, among the last adoption_last_days days
-- params: adoption_last_days = 90
WITH w AS (
  -- the days reported are those after w.after; a month starting 30 days or more before it holds none of them
  SELECT max(last_day) - CAST($adoption_last_days AS INTEGER) AS after FROM lineage_host_months
),
-- A day lies in one month, so the per-month day sets (lineage_host_months, one row per lineage, host and month)
-- hold it exactly. Each row's 31 day bits are summed per (month, lineage) in one pass: one row per (month, lineage)
-- with a list of 31 day counts, expanded afterwards (testing each bit of every row in a join with range(31) cost
-- 1.9 s over the seed-scale window). The day's hosts with a local model are the NULL lineage.
host_days AS (
  SELECT h.lineage, h.month, h.days FROM lineage_host_months h, w
  WHERE $adoption_last_days = 0 OR h.month + 30 > w.after
  UNION ALL
  SELECT NULL, h.month, bit_or(h.days)
  FROM host_inv_months h SEMI JOIN inventory_lineages l USING (inv), w
  WHERE $adoption_last_days = 0 OR h.month + 30 > w.after
  GROUP BY h.host, h.month
),
counts AS (
  SELECT month, lineage,
    list_value(sum(days & 1), sum((days >> 1) & 1), sum((days >> 2) & 1), sum((days >> 3) & 1),
               sum((days >> 4) & 1), sum((days >> 5) & 1), sum((days >> 6) & 1), sum((days >> 7) & 1),
               sum((days >> 8) & 1), sum((days >> 9) & 1), sum((days >> 10) & 1), sum((days >> 11) & 1),
               sum((days >> 12) & 1), sum((days >> 13) & 1), sum((days >> 14) & 1), sum((days >> 15) & 1),
               sum((days >> 16) & 1), sum((days >> 17) & 1), sum((days >> 18) & 1), sum((days >> 19) & 1),
               sum((days >> 20) & 1), sum((days >> 21) & 1), sum((days >> 22) & 1), sum((days >> 23) & 1),
               sum((days >> 24) & 1), sum((days >> 25) & 1), sum((days >> 26) & 1), sum((days >> 27) & 1),
               sum((days >> 28) & 1), sum((days >> 29) & 1), sum((days >> 30) & 1)) AS per_day
  FROM host_days GROUP BY month, lineage
),
per_day AS (
  SELECT c.month + CAST(r.i AS INTEGER) AS day, c.lineage, CAST(c.per_day[r.i + 1] AS BIGINT) AS hosts
  FROM counts c, range(31) r(i) WHERE c.per_day[r.i + 1] > 0
)
SELECT p.day, p.lineage, p.hosts, p.hosts / t.hosts AS host_share, c.released,
       date_diff('day', c.released, p.day) AS days_since_release, t.hosts AS day_hosts
FROM per_day p JOIN per_day t ON t.day = p.day AND t.lineage IS NULL CROSS JOIN w
LEFT JOIN lineage_catalog c ON c.lineage = p.lineage
WHERE p.lineage IS NOT NULL AND ($adoption_last_days = 0 OR p.day > w.after)
ORDER BY p.day, p.hosts DESC, p.lineage
