-- name: channel_overlap
-- definition: For every pair of discovery channels present in the candidates dataset, how many candidates (ip, port) both reported and how many of those probing confirmed as LLM hosts (an observation with status success and a known runtime), with each channel's own totals and the Jaccard index of the two candidate sets. Pairs that share nothing are listed with zeros: disjoint channels are the finding that matters.
-- denominator: jaccard = both_candidates / (candidates_a + candidates_b - both_candidates); confirmed_jaccard likewise over confirmed candidates.
-- window: every candidate in the candidates dataset and every observation, whatever their dates.
-- params: none
WITH confirmed AS (
    SELECT DISTINCT ip, port
    FROM observations
    WHERE status = 'success' AND runtime IS NOT NULL AND runtime <> 'unknown'
),
per_source AS (
    SELECT DISTINCT s.source, c.ip, c.port, k.ip IS NOT NULL AS is_confirmed
    FROM (SELECT ip, port, unnest(sources) AS source FROM candidates) AS s
    JOIN candidates AS c ON c.ip = s.ip AND c.port = s.port
    LEFT JOIN confirmed AS k ON k.ip = c.ip AND k.port = c.port
),
sizes AS (
    SELECT source, count(*) AS n, count(*) FILTER (WHERE is_confirmed) AS n_confirmed
    FROM per_source
    GROUP BY source
),
shared AS (
    SELECT a.source AS source_a, b.source AS source_b,
           count(*) AS both_candidates,
           count(*) FILTER (WHERE a.is_confirmed) AS both_confirmed
    FROM per_source AS a
    JOIN per_source AS b ON a.ip = b.ip AND a.port = b.port AND a.source < b.source
    GROUP BY a.source, b.source
)
SELECT
    sa.source AS source_a,
    sb.source AS source_b,
    sa.n AS candidates_a,
    sb.n AS candidates_b,
    coalesce(sh.both_candidates, 0) AS both_candidates,
    coalesce(sh.both_candidates, 0) / nullif(sa.n + sb.n - coalesce(sh.both_candidates, 0), 0) AS jaccard,
    sa.n_confirmed AS confirmed_a,
    sb.n_confirmed AS confirmed_b,
    coalesce(sh.both_confirmed, 0) AS both_confirmed,
    coalesce(sh.both_confirmed, 0)
        / nullif(sa.n_confirmed + sb.n_confirmed - coalesce(sh.both_confirmed, 0), 0) AS confirmed_jaccard
FROM sizes AS sa
JOIN sizes AS sb ON sa.source < sb.source
LEFT JOIN shared AS sh ON sh.source_a = sa.source AND sh.source_b = sb.source
ORDER BY both_candidates DESC, source_a, source_b
