-- name: lineage_concentration_by_month
-- definition: How concentrated the ecosystem is on a few lineages, every runtime: per UTC month, the lineages seen,
--   the share of all (host, lineage) listings held by the top 1, top 5 and top 10 lineages, and the
--   Herfindahl-Hirschman index of those shares (1 = a single lineage; 1/n = n equal lineages). 'unknown' counts as
--   one lineage. A listing is a host listing a local model of the lineage in the month.
-- denominator: (host, lineage) listings of the month (shares)
-- window: each UTC month with a successful visit listing a local model
-- params: none
WITH per_lineage AS (
  SELECT month, lineage, count(*) AS hosts FROM lineage_host_months GROUP BY month, lineage
),
ranked AS (
  SELECT *, hosts / sum(hosts) OVER (PARTITION BY month) AS share,
         row_number() OVER (PARTITION BY month ORDER BY hosts DESC, lineage) AS r
  FROM per_lineage
)
SELECT month, count(*) AS lineages, CAST(sum(hosts) AS BIGINT) AS listings,
       sum(share) FILTER (WHERE r <= 1) AS top1_share, sum(share) FILTER (WHERE r <= 5) AS top5_share,
       sum(share) FILTER (WHERE r <= 10) AS top10_share, sum(share * share) AS hhi
FROM ranked GROUP BY month ORDER BY month
