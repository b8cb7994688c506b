-- name: auth_transitions
-- definition: Per UTC month and runtime, the endpoints whose auth posture changed from one answered day to the
--   next (auth_changed events of the store), by the posture before and after; moved_behind_auth marks changes from
--   open to a wall (auth_required or forbidden), the endpoints that put authentication in front of their API.
-- denominator: none (counts of endpoints; an endpoint that changed twice in the month counts in both rows)
-- window: each UTC month of the study window with an auth change
-- params: none
SELECT CAST(date_trunc('month', day) AS DATE) AS month, runtime, previous AS from_posture, subject AS to_posture,
       count(DISTINCT endpoint) AS endpoints, count(*) AS events,
       previous = 'open' AND subject IN ('auth_required', 'forbidden') AS moved_behind_auth
FROM events WHERE kind = 'auth_changed'
GROUP BY ALL ORDER BY month, runtime, from_posture, to_posture
