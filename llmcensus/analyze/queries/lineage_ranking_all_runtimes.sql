-- name: lineage_ranking_all_runtimes
-- definition: Model lineages ranked by the hosts that listed one of their models on a successful visit, whatever
--   the runtime serving it (Ollama, vLLM, llama.cpp, LM Studio, ...): the cross-runtime answer to "who runs which
--   lineage", with the lab and its country, and how many of the hosts run Ollama or another runtime (a host
--   serving the lineage on both counts in each). Cloud stubs are left out; the 'unknown' lineage has no lab.
-- denominator: hosts of any runtime that listed at least one local model (host_share)
-- window: the whole study window
-- params: none
SELECT lineage, CASE WHEN lineage = 'unknown' THEN 'unknown' ELSE min(lab) END AS lab,
       CASE WHEN lineage = 'unknown' THEN 'unknown' ELSE min(lab_country) END AS lab_country, count(DISTINCT host) AS hosts,
       count(DISTINCT host) / (SELECT count(DISTINCT host) FROM runtime_host_models) AS host_share,
       count(DISTINCT host) FILTER (WHERE runtime = 'ollama') AS ollama_hosts,
       count(DISTINCT host) FILTER (WHERE runtime <> 'ollama') AS other_runtime_hosts,
       count(DISTINCT runtime) AS runtimes,
       rank() OVER (ORDER BY count(DISTINCT host) DESC) AS rank
FROM runtime_host_models GROUP BY lineage ORDER BY rank, lineage
