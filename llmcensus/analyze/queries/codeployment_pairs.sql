-- name: codeployment_pairs
-- definition: Pairs of local model families found on the same host (over the window), by unique hosts, with the
--   share of multi-family hosts carrying the pair (the study's llama + qwen2 = 52 % of multi-family deployments).
--   Families in a pair are in alphabetical order; the top_n pairs by hosts are kept.
--   Population: successful Ollama observations and their hosts.
-- denominator: hosts with two or more local families
-- window: the whole study window
-- params: top_n = 100
WITH hf AS (SELECT host, family FROM host_families),
multi AS (SELECT count(*) AS n FROM (SELECT host FROM hf GROUP BY host HAVING count(*) >= 2))
SELECT a.family AS family_a, b.family AS family_b, count(*) AS hosts, count(*) / max(multi.n) AS multi_family_share
FROM hf a JOIN hf b ON a.host = b.host AND a.family < b.family CROSS JOIN multi
GROUP BY 1, 2 ORDER BY hosts DESC, family_a, family_b LIMIT $top_n
