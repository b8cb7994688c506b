-- name: lineage_rank_by_month
-- definition: Rank over time of lineages and of labs, every runtime: per UTC month and level ('lineage' or
--   'lab'), each lineage's (or lab's) hosts that listed a local model of it on a successful visit, their share of
--   the month's hosts with a local model, its competition rank by hosts that month and the change from its rank
--   the month before (positive = climbed; null when absent that month). A lab's hosts listed any lineage the
--   lineage catalogue attributes to it. Models that resolve to no lineage ('unknown') are not ranked.
-- denominator: hosts of any runtime that listed a local model in the month (host_share)
-- window: each UTC month with a successful visit listing a local model
-- params: none
WITH hm AS MATERIALIZED (
  SELECT h.host, h.month, h.lineage, c.lab FROM lineage_host_months h JOIN lineage_catalog c USING (lineage)
),
totals AS (SELECT month, month_hosts FROM lineage_month_hosts),
counts AS (
  SELECT 'lineage' AS level, month, lineage AS name, count(*) AS hosts FROM hm GROUP BY ALL
  UNION ALL
  SELECT 'lab', month, lab, count(DISTINCT host) FROM hm GROUP BY ALL
),
ranked AS (
  SELECT *, rank() OVER (PARTITION BY level, month ORDER BY hosts DESC) AS rank FROM counts
),
months AS (SELECT month, lag(month) OVER (ORDER BY month) AS previous FROM totals)
SELECT r.level, r.month, r.name, r.hosts, r.hosts / t.month_hosts AS host_share, r.rank,
       p.rank - r.rank AS rank_change
FROM ranked r JOIN totals t USING (month) JOIN months m USING (month)
LEFT JOIN ranked p ON p.level = r.level AND p.name = r.name AND p.month = m.previous
ORDER BY r.level DESC, r.month, r.rank, r.name
