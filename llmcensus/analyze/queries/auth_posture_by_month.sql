-- name: auth_posture_by_month
-- definition: Per UTC month and runtime, the hosts by auth posture and the evidence behind it: posture open
--   (evidence metadata_readable: the inventory or version answered without credentials), auth_required (http_401,
--   a challenge), forbidden (http_403, a refusal: an allow-list, a proxy rule), unknown (no_reply); and whether a
--   reverse proxy answered (proxy: the product its Server header names, e.g. nginx; none when the runtime
--   answered directly). Every runtime is counted; an auth wall that hides the runtime is runtime 'unknown'. A
--   host that showed several postures in the month counts under each, so shares may add up to more than 1. Visits
--   are the store's endpoint-days (an endpoint's last visit with a verdict on each day).
-- denominator: hosts with a verdict of that runtime that month (host_share)
-- window: each UTC month of the study window in which some host had a runtime verdict
-- params: none
WITH v AS (
  -- endpoint_months: one row per endpoint, month and verdict, with the bit set of its days (visits = endpoint-days)
  SELECT month, host, coalesce(runtime, 'unknown') AS runtime, coalesce(auth, 'unknown') AS posture,
         coalesce(proxy, 'none') AS proxy, bit_count(days) AS n
  FROM endpoint_months
),
per AS (
  SELECT month, runtime, posture, proxy, count(DISTINCT host) AS hosts, CAST(sum(n) AS BIGINT) AS visits
  FROM v GROUP BY ALL
),
tot AS (SELECT month, runtime, count(DISTINCT host) AS runtime_hosts FROM v GROUP BY ALL)
SELECT p.month, p.runtime, p.posture,
       CASE p.posture WHEN 'open' THEN 'metadata_readable' WHEN 'auth_required' THEN 'http_401'
                      WHEN 'forbidden' THEN 'http_403' ELSE 'no_reply' END AS evidence,
       p.proxy, p.hosts, p.hosts / t.runtime_hosts AS host_share, p.visits, t.runtime_hosts
FROM per p JOIN tot t USING (month, runtime) ORDER BY p.month, p.runtime, p.posture, p.proxy
