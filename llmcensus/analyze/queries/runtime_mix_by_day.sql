-- name: runtime_mix_by_day
-- definition: Per UTC day and runtime (the probe's verdict: ollama, vllm, llama_cpp, ..., 'unknown' when an auth
--   wall hid it), the hosts with a runtime verdict that day: a successful visit (fingerprinted), or an
--   auth_required one (counted under the runtime it was recognised as). Unlike the study's metrics, every runtime
--   is counted, not only Ollama. A host with visits of several runtimes that day (host_key = ip: several ports)
--   counts under each, so a day's host shares may add up to more than 1.
-- denominator: hosts with a runtime verdict that day (host_share)
-- window: each UTC day of the study window on which some host had a runtime verdict
-- params: none
WITH rm AS (
-- per (host, month, runtime): the days (bit set) with a verdict of that runtime; successful open Ollama visits are
-- host_months, every other verdict runtime_host_months (a host-day in both is one day: the bit sets are or-ed)
  SELECT host, month, runtime, bit_or(days) AS days FROM (
    SELECT host, month, runtime, days FROM runtime_host_months
    UNION ALL SELECT host, month, 'ollama', days FROM host_months
  ) GROUP BY ALL
),
hm AS (SELECT host, month, bit_or(days) AS days FROM rm GROUP BY ALL),
-- hosts sharing a month's day set are counted together, then each set is spread over its days (as births_deaths)
counts AS (
  SELECT month + CAST(i AS INTEGER) AS day, runtime, CAST(sum(n) AS BIGINT) AS hosts
  FROM (SELECT month, runtime, days, count(*) AS n FROM rm GROUP BY ALL), range(31) r(i)
  WHERE (days >> i) & 1 = 1 GROUP BY ALL
),
totals AS (
  SELECT month + CAST(i AS INTEGER) AS day, CAST(sum(n) AS BIGINT) AS verdict_hosts
  FROM (SELECT month, days, count(*) AS n FROM hm GROUP BY ALL), range(31) r(i)
  WHERE (days >> i) & 1 = 1 GROUP BY ALL
)
SELECT c.day, c.runtime, c.hosts, c.hosts / t.verdict_hosts AS host_share, t.verdict_hosts
FROM counts c JOIN totals t USING (day)
ORDER BY c.day, c.hosts DESC, c.runtime
