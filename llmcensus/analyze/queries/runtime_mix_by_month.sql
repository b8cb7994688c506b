-- name: runtime_mix_by_month
-- definition: Per UTC month and runtime (the probe's verdict: ollama, vllm, llama_cpp, ..., 'unknown' when an auth
--   wall hid it), the hosts with a runtime verdict that month (a successful or an auth_required visit, counted
--   under the runtime it was recognised as) and their observations (such visits). Unlike the study's metrics,
--   every runtime is counted, not only Ollama. A host seen as several runtimes in the month (host_key = ip:
--   several ports, or a runtime replaced) counts under each, so a month's host shares may add up to more than 1.
-- denominator: hosts with a runtime verdict that month (host_share)
-- window: each UTC month of the study window in which some host had a runtime verdict
-- params: none
WITH pairs AS (
-- Successful Ollama visits are host_months (all of them, whatever their auth); runtime_host_months holds the rest,
-- including the successful Ollama visits with a non-open auth, which host_months already counts.
  SELECT month, host, 'ollama' AS runtime FROM host_months
  UNION
  SELECT month, host, runtime FROM runtime_host_months
),
obs AS (
  SELECT month, 'ollama' AS runtime, sum(observations) AS n FROM host_months GROUP BY month
  UNION ALL
  SELECT month, runtime, sum(observations) FROM runtime_host_months
  WHERE NOT (runtime = 'ollama' AND status = 'success') GROUP BY ALL
),
per_runtime AS (SELECT month, runtime, count(*) AS hosts FROM pairs GROUP BY month, runtime),
totals AS (SELECT month, count(DISTINCT host) AS verdict_hosts FROM pairs GROUP BY month),
observations AS (SELECT month, runtime, CAST(sum(n) AS BIGINT) AS observations FROM obs GROUP BY month, runtime)
SELECT p.month, p.runtime, p.hosts, p.hosts / t.verdict_hosts AS host_share, o.observations, t.verdict_hosts
FROM per_runtime p JOIN totals t USING (month) JOIN observations o USING (month, runtime)
ORDER BY p.month, p.hosts DESC, p.runtime
