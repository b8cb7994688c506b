-- name: family_rank_by_month
-- definition: Per UTC month, each local model family's unique hosts, its share of the month's active hosts and
--   its competition rank by hosts that month: the family rank over time.
--   Population: successful Ollama observations and their hosts.
-- denominator: hosts with a successful Ollama observation in that month
-- window: each UTC month of the study window
-- params: none
WITH act AS (SELECT month, count(*) AS active_hosts FROM host_months GROUP BY month),
f AS (
  SELECT month, family, count(DISTINCT host) AS hosts FROM host_family_months GROUP BY 1, 2
)
SELECT f.month, f.family, f.hosts, f.hosts / act.active_hosts AS host_share,
       rank() OVER (PARTITION BY f.month ORDER BY f.hosts DESC) AS rank
FROM f JOIN act USING (month) ORDER BY f.month, rank, f.family
