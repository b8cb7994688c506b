-- name: auth_by_runtime_month
-- definition: Per UTC month, runtime and auth posture (open = metadata readable without credentials;
--   auth_required = a 401 challenge; forbidden = a 403 refusal; unknown = not recorded): the hosts with a runtime
--   verdict (a successful or an auth_required visit) showing that posture as that runtime, their share of the
--   runtime's hosts that month, and the visits. Unlike the study's metrics, every runtime is counted, not only
--   Ollama; an auth wall that hides the runtime is runtime 'unknown'. A host that changed posture within the
--   month counts under each posture it showed, so a runtime's shares may add up to more than 1.
-- denominator: hosts with a verdict of that runtime that month (host_share)
-- window: each UTC month of the study window in which some host had a runtime verdict
-- params: none
WITH closed AS (
-- A successful Ollama visit is open unless runtime_host_months holds it with another auth: a host-month of
-- host_months is open when it has more successful Ollama visits than runtime_host_months' non-open ones.
  SELECT host, month AS month, sum(observations) AS n
  FROM runtime_host_months WHERE runtime = 'ollama' AND status = 'success' GROUP BY ALL
),
postures AS (
  SELECT m.month, m.host, 'ollama' AS runtime, 'open' AS auth, m.observations - coalesce(c.n, 0) AS observations
  FROM host_months m LEFT JOIN closed c USING (host, month) WHERE m.observations > coalesce(c.n, 0)
  UNION ALL
  SELECT month, host, runtime, auth, observations FROM runtime_host_months
),
per_auth AS (
  SELECT month, runtime, auth, count(DISTINCT host) AS hosts, CAST(sum(observations) AS BIGINT) AS observations
  FROM postures GROUP BY month, runtime, auth
),
per_runtime AS (SELECT month, runtime, count(DISTINCT host) AS runtime_hosts FROM postures GROUP BY month, runtime)
SELECT a.month, a.runtime, a.auth, a.hosts, a.hosts / r.runtime_hosts AS host_share, a.observations, r.runtime_hosts
FROM per_auth a JOIN per_runtime r USING (month, runtime)
ORDER BY a.month, a.runtime, a.auth
