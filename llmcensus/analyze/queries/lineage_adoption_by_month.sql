-- name: lineage_adoption_by_month
-- definition: Adoption of each model lineage over time, every runtime: per UTC month and lineage, the hosts that
--   listed a local model of the lineage on a successful visit that month, their share of the month's hosts with a
--   local model, the host-days (days a host listed the lineage, summed over hosts), the lineage's first public
--   release (lineage_catalog; null when no dated source) and the days from that release to the month's start.
-- denominator: hosts of any runtime that listed a local model in the month (host_share)
-- window: each UTC month with a successful visit listing a local model
-- params: none
WITH per_host AS (SELECT host, month, lineage, days FROM lineage_host_months),
totals AS (SELECT month, month_hosts FROM lineage_month_hosts)
SELECT p.month, p.lineage, count(*) AS hosts, count(*) / t.month_hosts AS host_share,
       CAST(sum(bit_count(p.days)) AS BIGINT) AS host_days, c.released,
       date_diff('day', c.released, p.month) AS days_since_release, t.month_hosts
FROM per_host p JOIN totals t USING (month) LEFT JOIN lineage_catalog c USING (lineage)
GROUP BY p.month, p.lineage, t.month_hosts, c.released
ORDER BY p.month, hosts DESC, p.lineage
