-- name: lineage_rank_volatility
-- definition: For the top_k lineages and the top_k labs by hosts over the whole window (every runtime), how their
--   monthly rank (lineage_rank_by_month) moves, the method of family_rank_volatility: months present, best and
--   worst monthly rank, rank_range = worst - best and the population standard deviation of the monthly rank. Zero
--   range = zero rank volatility over time. Models that resolve to no lineage ('unknown') are not ranked.
-- denominator: none (ranks)
-- window: each UTC month in which the lineage or lab appears
-- params: top_k = 20
WITH hm AS MATERIALIZED (
  SELECT h.host, h.month, h.lineage, c.lab FROM lineage_host_months h JOIN lineage_catalog c USING (lineage)
),
overall AS (
  SELECT level, name, rank() OVER (PARTITION BY level ORDER BY hosts DESC) AS overall_rank FROM (
    SELECT 'lineage' AS level, lineage AS name, count(DISTINCT host) AS hosts FROM hm GROUP BY ALL
    UNION ALL SELECT 'lab', lab, count(DISTINCT host) FROM hm GROUP BY ALL)
),
monthly AS (
  SELECT level, month, name, rank() OVER (PARTITION BY level, month ORDER BY hosts DESC) AS rank FROM (
    SELECT 'lineage' AS level, month, lineage AS name, count(*) AS hosts FROM hm GROUP BY ALL
    UNION ALL SELECT 'lab', month, lab, count(DISTINCT host) FROM hm GROUP BY ALL)
)
SELECT o.level, o.name, o.overall_rank, count(*) AS months_present, min(m.rank) AS best_rank,
       max(m.rank) AS worst_rank, max(m.rank) - min(m.rank) AS rank_range, stddev_pop(m.rank) AS rank_sd
FROM overall o JOIN monthly m USING (level, name) WHERE o.overall_rank <= $top_k
GROUP BY o.level, o.name, o.overall_rank ORDER BY o.level DESC, o.overall_rank, o.name
