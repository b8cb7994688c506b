-- name: lineage_milestones
-- definition: How fast each lineage spread, every runtime: its first public release (lineage_catalog), the first
--   day any host listed a local model of it, the hosts that ever did, and the first days on which the count of
--   hosts that had listed it reached $first_mark and $second_mark (null when never), with the days from release
--   to first sighting and to each mark. Days are UTC days of successful visits.
-- denominator: none (counts and days)
-- window: the whole study window
-- params: first_mark = 100, second_mark = 1000
WITH firsts AS (
  SELECT lineage, host, min(first_day) AS first_day FROM lineage_host_months GROUP BY lineage, host
),
daily AS (SELECT lineage, first_day, count(*) AS n FROM firsts GROUP BY lineage, first_day),
reached AS (
  SELECT lineage, first_day, sum(n) OVER (PARTITION BY lineage ORDER BY first_day) AS hosts_so_far FROM daily
)
SELECT r.lineage, c.released, min(r.first_day) AS first_seen, CAST(max(r.hosts_so_far) AS BIGINT) AS hosts_ever,
       min(r.first_day) FILTER (WHERE r.hosts_so_far >= $first_mark) AS first_mark_day,
       min(r.first_day) FILTER (WHERE r.hosts_so_far >= $second_mark) AS second_mark_day,
       date_diff('day', c.released, min(r.first_day)) AS days_release_to_first_seen,
       date_diff('day', c.released, min(r.first_day) FILTER (WHERE r.hosts_so_far >= $first_mark))
         AS days_release_to_first_mark,
       date_diff('day', c.released, min(r.first_day) FILTER (WHERE r.hosts_so_far >= $second_mark))
         AS days_release_to_second_mark
FROM reached r LEFT JOIN lineage_catalog c USING (lineage)
GROUP BY r.lineage, c.released ORDER BY hosts_ever DESC, r.lineage
