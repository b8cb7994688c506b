-- name: system_prompt_visibility
-- definition: Hosts with at least one local model whose system prompt was readable (a non-empty show.system or
--   Modelfile SYSTEM line), and the number of distinct visible prompts. A lower bound: only what the API exposes.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
SELECT count(DISTINCT host) AS hosts, count(DISTINCT host) / (SELECT count(*) FROM host_stats) AS host_share,
       count(DISTINCT prompt_sha) AS distinct_prompts
FROM host_models WHERE NOT cloud AND prompt_sha IS NOT NULL
