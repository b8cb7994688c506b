-- name: lineage_adoption_by_dimension
-- definition: Where and on what each lineage is adopted, every runtime: per UTC month, lineage and dimension
--   (country, tier, runtime) and value of that dimension, the hosts that listed a local model of the lineage on a
--   successful visit that month, and their share of the lineage's hosts that month (lineage_share). Country and
--   tier are the host address's geolocation and infrastructure tier (enrichment's geo dataset, every runtime;
--   'unknown' without a row). A host has one country and one tier; a host running the lineage on two runtimes
--   counts under each, so runtime shares can sum above 1. Cells with fewer than dimension_min_hosts hosts are
--   left out (their hosts still count in lineage_hosts).
-- denominator: hosts of any runtime listing the lineage in the month (lineage_share)
-- window: each UTC month with a successful visit listing a local model
-- params: dimension_min_hosts = 5
WITH hg AS (
  -- every runtime's hosts (host_geo holds the Ollama hosts only), one address per host as host_geo takes it
  SELECT i.host, coalesce(g.country, 'unknown') AS country, coalesce(g.tier, 'unknown') AS tier
  FROM (SELECT host, min(ip) AS ip FROM endpoint_ids GROUP BY host) i LEFT JOIN geo g ON g.ip = i.ip
),
-- lineage_host_months has one row per (lineage, host, month): runtimes merged; runtime cells read
-- host_lineage_months, keyed (host, month, lineage, runtime)
hmg AS MATERIALIZED (
  SELECT h.month, h.lineage, coalesce(g.country, 'unknown') AS country, coalesce(g.tier, 'unknown') AS tier,
         count(*) AS hosts
  FROM lineage_host_months h LEFT JOIN hg g USING (host) GROUP BY ALL
),
cells AS (
  SELECT month, lineage, 'country' AS dimension, country AS value, sum(hosts) AS hosts FROM hmg GROUP BY ALL
  UNION ALL SELECT month, lineage, 'tier', tier, sum(hosts) FROM hmg GROUP BY ALL
  UNION ALL SELECT month, lineage, 'runtime', runtime, count(*) FROM host_lineage_months GROUP BY ALL
),
lineage_hosts AS (SELECT month, lineage, sum(hosts) AS lineage_hosts FROM hmg GROUP BY ALL)
SELECT c.month, c.lineage, c.dimension, c.value, CAST(c.hosts AS BIGINT) AS hosts,
       c.hosts / l.lineage_hosts AS lineage_share, CAST(l.lineage_hosts AS BIGINT) AS lineage_hosts
FROM cells c JOIN lineage_hosts l USING (month, lineage)
WHERE c.hosts >= $dimension_min_hosts
ORDER BY c.month, c.lineage, c.dimension, c.hosts DESC, c.value
