-- name: inventory_churn
-- definition: Per UTC month, how much the listed inventories moved: models added and removed (the store's
--   model_added / model_removed events, a name entering or leaving an endpoint's list between two successful
--   days) per endpoint whose inventory was read that month. Every runtime. An endpoint's first inventory is its
--   baseline, not an addition.
-- denominator: endpoints with a successful visit in the month (added_per_endpoint, removed_per_endpoint)
-- window: each UTC month of the study window with a successful visit
-- params: none
WITH active AS (
  SELECT month, count(DISTINCT endpoint) AS endpoints FROM endpoint_months WHERE status = 'success' GROUP BY ALL
),
moves AS (
  SELECT CAST(date_trunc('month', day) AS DATE) AS month, count(*) FILTER (WHERE kind = 'model_added') AS added,
         count(*) FILTER (WHERE kind = 'model_removed') AS removed
  FROM events GROUP BY ALL
)
SELECT a.month, a.endpoints, coalesce(m.added, 0) AS added, coalesce(m.removed, 0) AS removed,
       coalesce(m.added, 0) / a.endpoints AS added_per_endpoint,
       coalesce(m.removed, 0) / a.endpoints AS removed_per_endpoint
FROM active a LEFT JOIN moves m USING (month) ORDER BY a.month
