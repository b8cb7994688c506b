-- name: events_by_month
-- definition: Per UTC month and kind, the store's events (every runtime): first_seen, model_added, model_removed,
--   model_updated, version_upgrade, version_downgrade, version_changed, auth_changed, runtime_changed, each dated
--   to the first day the change was seen, and the endpoints (ip:port) they happened on. What changes, not what is.
-- denominator: none (counts)
-- window: each UTC month of the study window with an event
-- params: none
SELECT CAST(date_trunc('month', day) AS DATE) AS month, kind, count(*) AS events, count(DISTINCT endpoint) AS endpoints
FROM events GROUP BY ALL ORDER BY month, events DESC, kind
