-- name: lineage_adoption_by_week
-- definition: Adoption of each model lineage per ISO week (Monday to Sunday, UTC days; week = its Monday), every
--   runtime: per week and lineage, the hosts that listed a local model of the lineage on a successful visit that
--   week, their share of the week's hosts with a local model, the host-days (days a host listed the lineage,
--   summed over hosts), the lineage's first public release (lineage_catalog; null when no dated source) and the
--   days from that release to the week's Monday. The window's first and last weeks may be partial.
-- denominator: hosts of any runtime that listed a local model in the week (host_share)
-- window: each ISO week with a successful visit listing a local model
-- params: none
WITH per_host AS (SELECT host, week, lineage, days FROM lineage_host_weeks),
totals AS (SELECT week, week_hosts FROM lineage_week_hosts)
SELECT p.week, p.lineage, count(*) AS hosts, count(*) / t.week_hosts AS host_share,
       CAST(sum(bit_count(p.days)) AS BIGINT) AS host_days, c.released,
       date_diff('day', c.released, p.week) AS days_since_release, t.week_hosts
FROM per_host p JOIN totals t USING (week) LEFT JOIN lineage_catalog c USING (lineage)
GROUP BY p.week, p.lineage, t.week_hosts, c.released
ORDER BY p.week, hosts DESC, p.lineage
