-- name: channel_summary
-- definition: Per discovery channel (censys, shodan, fofa, masscan, zmap, list, sweep; plus a row "all"): the distinct candidates (ip, port) it reported, how many of them probing confirmed as LLM hosts (at least one observation of that ip and port with status success and a known runtime), the confirmation rate, and how many candidates and confirmed hosts no other channel reported. A candidate reported by several channels counts once for each of them, so channel rows do not add up to "all". A host here is an ip:port, the unit candidates are reported in.
-- denominator: confirmation_rate = confirmed / candidates of the same channel; share_of_all_confirmed = confirmed / confirmed of the row "all".
-- window: every candidate in the candidates dataset and every observation, whatever their dates.
-- params: none
WITH confirmed AS (
    SELECT DISTINCT ip, port
    FROM observations
    WHERE status = 'success' AND runtime IS NOT NULL AND runtime <> 'unknown'
),
tagged AS (
    SELECT c.ip, c.port, c.sources, len(c.sources) AS n_sources, k.ip IS NOT NULL AS is_confirmed
    FROM candidates AS c
    LEFT JOIN confirmed AS k ON k.ip = c.ip AND k.port = c.port
),
per_source AS (
    SELECT unnest(sources) AS source, ip, port, n_sources, is_confirmed FROM tagged
    UNION ALL
    SELECT 'all' AS source, ip, port, n_sources, is_confirmed FROM tagged
),
summary AS (
    SELECT
        source,
        count(*) AS candidates,
        count(*) FILTER (WHERE is_confirmed) AS confirmed,
        count(*) FILTER (WHERE n_sources = 1) AS only_this_channel,
        count(*) FILTER (WHERE is_confirmed AND n_sources = 1) AS confirmed_only_this_channel
    FROM per_source
    GROUP BY source
)
SELECT
    source,
    candidates,
    confirmed,
    confirmed / nullif(candidates, 0) AS confirmation_rate,
    confirmed / nullif(max(confirmed) FILTER (WHERE source = 'all') OVER (), 0) AS share_of_all_confirmed,
    only_this_channel,
    confirmed_only_this_channel
FROM summary
ORDER BY source = 'all', candidates DESC, source
