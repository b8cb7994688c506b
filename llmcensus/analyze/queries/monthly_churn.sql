-- name: monthly_churn
-- definition: Per UTC month: active hosts, new hosts (not seen in any earlier month), retained hosts (also
--   active the previous month), lost hosts (active the previous month, not this one) and churn_rate = lost /
--   previous month's active hosts. The first month's new/retained/lost are censored and null.
--   Population: successful Ollama observations and their hosts.
-- denominator: hosts active in the previous month (churn_rate)
-- window: each UTC month of the study window
-- params: none
WITH hm AS (SELECT host, month FROM host_months),
months AS (SELECT month, row_number() OVER (ORDER BY month) AS k FROM (SELECT DISTINCT CAST(date_trunc('month', day) AS DATE) AS month FROM sweep_days)),
hk AS (SELECT hm.host, months.k FROM hm JOIN months USING (month)),
firsts AS (SELECT host, min(k) AS k0 FROM hk GROUP BY host),
agg AS (
  SELECT m.month, m.k,
         (SELECT count(*) FROM hk WHERE hk.k = m.k) AS active_hosts,
         (SELECT count(*) FROM firsts WHERE firsts.k0 = m.k) AS new_hosts,
         (SELECT count(*) FROM hk a JOIN hk p ON a.host = p.host AND p.k = m.k - 1 WHERE a.k = m.k) AS retained_hosts,
         (SELECT count(*) FROM hk WHERE hk.k = m.k - 1) AS previous_active
  FROM months m
)
SELECT month, active_hosts,
       CASE WHEN k = 1 THEN NULL ELSE new_hosts END AS new_hosts,
       CASE WHEN k = 1 THEN NULL ELSE retained_hosts END AS retained_hosts,
       CASE WHEN k = 1 THEN NULL ELSE previous_active - retained_hosts END AS lost_hosts,
       CASE WHEN k = 1 OR previous_active = 0 THEN NULL ELSE (previous_active - retained_hosts) / previous_active END
         AS churn_rate
FROM agg ORDER BY month
