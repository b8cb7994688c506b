-- name: family_rank_volatility
-- definition: For the top_k local families by unique hosts over the whole window: how their monthly rank (from
--   family_rank_by_month) moves: months present, best and worst monthly rank, rank_range = worst - best and the
--   population standard deviation of the monthly rank. Zero range = zero rank volatility over time.
--   Population: successful Ollama observations and their hosts.
-- denominator: none (ranks)
-- window: each UTC month of the study window in which the family appears
-- params: top_k = 20
WITH overall AS (
  SELECT family, rank() OVER (ORDER BY hosts DESC) AS overall_rank FROM (
    SELECT family, count(*) AS hosts FROM host_families GROUP BY 1)
),
monthly AS (
  SELECT month, family, rank() OVER (PARTITION BY month ORDER BY hosts DESC) AS rank FROM (
    SELECT month, family, count(DISTINCT host) AS hosts FROM host_family_months GROUP BY 1, 2)
)
SELECT o.family, o.overall_rank, count(*) AS months_present, min(m.rank) AS best_rank, max(m.rank) AS worst_rank,
       max(m.rank) - min(m.rank) AS rank_range, stddev_pop(m.rank) AS rank_sd
FROM overall o JOIN monthly m USING (family) WHERE o.overall_rank <= $top_k
GROUP BY o.family, o.overall_rank ORDER BY o.overall_rank, o.family
