-- name: codeployment_triples
-- definition: Triples of local model families found on the same host (over the window), by unique hosts, with the
--   share of multi-family hosts carrying the triple. Families in alphabetical order; the top_n triples are kept.
--   Population: successful Ollama observations and their hosts.
-- denominator: hosts with two or more local families
-- window: the whole study window
-- params: top_n = 100
WITH hf AS (SELECT host, family FROM host_families),
multi AS (SELECT count(*) AS n FROM (SELECT host FROM hf GROUP BY host HAVING count(*) >= 2))
SELECT a.family AS family_a, b.family AS family_b, c.family AS family_c, count(*) AS hosts,
       count(*) / max(multi.n) AS multi_family_share
FROM hf a JOIN hf b ON a.host = b.host AND a.family < b.family
JOIN hf c ON c.host = a.host AND b.family < c.family CROSS JOIN multi
GROUP BY 1, 2, 3 ORDER BY hosts DESC, family_a, family_b, family_c LIMIT $top_n
