-- name: births_deaths
-- definition: Per UTC day: hosts active (observed that day), births (hosts first seen that day) and deaths (hosts
--   last seen that day), and churn = (births + deaths) / active. Births on the window's first day and deaths on
--   its last day are censored (a host seen then may have existed before / may live on) and are null.
--   Population: successful Ollama observations and their hosts.
-- denominator: hosts active that day (churn)
-- window: each UTC day of the study window
-- params: none
WITH days AS (SELECT day FROM sweep_days),
-- a host is active on day i + 1 of a month when bit i of its month's day set is on; hosts sharing a month's day
-- set are counted together first (a bit test per distinct set, not per host)
sets AS (SELECT month, days, count(*) AS n FROM host_months GROUP BY month, days),
active AS (
  SELECT month + CAST(i AS INTEGER) AS day, CAST(sum(n) AS BIGINT) AS active_hosts
  FROM sets, range(31) r(i) WHERE (days >> i) & 1 = 1 GROUP BY 1
),
b AS (SELECT first_seen AS day, count(*) AS n FROM host_stats GROUP BY 1),
d AS (SELECT last_seen AS day, count(*) AS n FROM host_stats GROUP BY 1),
w AS (SELECT min(day) AS lo, max(day) AS hi FROM sweep_days)
SELECT days.day, coalesce(a.active_hosts, 0) AS active_hosts,
       CASE WHEN days.day = w.lo THEN NULL ELSE coalesce(b.n, 0) END AS births,
       CASE WHEN days.day = w.hi THEN NULL ELSE coalesce(d.n, 0) END AS deaths,
       CASE WHEN days.day IN (w.lo, w.hi) OR coalesce(a.active_hosts, 0) = 0 THEN NULL
            ELSE (coalesce(b.n, 0) + coalesce(d.n, 0)) / a.active_hosts END AS churn
FROM days CROSS JOIN w LEFT JOIN active a USING (day) LEFT JOIN b USING (day) LEFT JOIN d USING (day)
ORDER BY days.day
