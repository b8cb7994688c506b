-- name: models_by_runtime
-- definition: Per runtime (every runtime, not only Ollama) and model lineage (enrichment's normalisation of Ollama
--   names, Hugging Face ids and GGUF file names alike; 'unknown' when a name resolves to no lineage), the hosts
--   that listed a model of the lineage on a successful visit, and the distinct model names. Cloud stubs are left
--   out. Read from the store's per-day endpoint states and inventories (runtime_host_models).
-- denominator: hosts of the runtime that listed at least one local model (host_share)
-- window: the whole study window
-- params: none
WITH totals AS (SELECT runtime, count(DISTINCT host) AS runtime_hosts FROM runtime_host_models GROUP BY runtime)
SELECT m.runtime, m.lineage, count(DISTINCT m.host) AS hosts, count(DISTINCT m.host) / t.runtime_hosts AS host_share,
       count(DISTINCT m.name) AS models, t.runtime_hosts
FROM runtime_host_models m JOIN totals t USING (runtime)
GROUP BY m.runtime, m.lineage, t.runtime_hosts
ORDER BY m.runtime, hosts DESC, m.lineage
