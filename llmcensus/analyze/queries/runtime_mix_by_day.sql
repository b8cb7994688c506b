-- name: runtime_mix_by_day
-- definition: Per UTC day and runtime (the probe's verdict: ollama, vllm, llama_cpp, ..., 'unknown' when an auth
--   wall hid it), the hosts with a runtime verdict that day: a successful visit (fingerprinted), or an
--   auth_required one (counted under the runtime it was recognised as). Unlike the study's metrics, every runtime
--   is counted, not only Ollama. A host with visits of several runtimes that day (host_key = ip: several ports)
--   counts under each, so a day's host shares may add up to more than 1.
-- denominator: hosts with a runtime verdict that day (host_share)
-- window: each UTC day of the study window on which some host had a runtime verdict
-- params: none
WITH sets AS (SELECT month, days, count(*) AS n FROM host_months GROUP BY month, days),
-- Successful Ollama host-days come from host_months' day bit sets (hosts sharing a month's day set counted
-- together, as births_deaths does); every other verdict from the small runtime_host_days, each marked when the
-- host also had a successful Ollama visit that day, so that no host is counted twice.
ollama_days AS (
  SELECT month + CAST(i AS INTEGER) AS day, CAST(sum(n) AS BIGINT) AS hosts
  FROM sets, range(31) r(i) WHERE (days >> i) & 1 = 1 GROUP BY 1
),
other AS (
  SELECT DISTINCT r.host, r.day, r.runtime, coalesce((m.days >> (dayofmonth(r.day) - 1)) & 1 = 1, false) AS ollama_day
  FROM runtime_host_days r
  LEFT JOIN host_months m ON m.host = r.host AND m.month = CAST(date_trunc('month', r.day) AS DATE)
),
counts AS (
  SELECT day, runtime, count(DISTINCT host) AS hosts FROM other WHERE NOT (runtime = 'ollama' AND ollama_day)
  GROUP BY day, runtime
  UNION ALL SELECT day, 'ollama', hosts FROM ollama_days
),
totals AS (
  SELECT day, CAST(sum(hosts) AS BIGINT) AS verdict_hosts FROM (
    SELECT day, count(DISTINCT host) AS hosts FROM other WHERE NOT ollama_day GROUP BY day
    UNION ALL SELECT day, hosts FROM ollama_days
  ) GROUP BY day
)
SELECT c.day, c.runtime, CAST(sum(c.hosts) AS BIGINT) AS hosts, sum(c.hosts) / t.verdict_hosts AS host_share,
       t.verdict_hosts
FROM counts c JOIN totals t USING (day)
GROUP BY c.day, c.runtime, t.verdict_hosts
ORDER BY c.day, hosts DESC, c.runtime
