-- name: subdivision_concentration
-- definition: The study's named sub-national concentrations: the share of a country's unique hosts located in a
--   group of its subdivisions: beijing (CN-BJ of CN), shanghai_guangdong (CN-SH + CN-GD of CN) and virginia
--   (US-VA of US, read as the cloud region US-EAST).
--   Population: successful Ollama observations and their hosts.
-- denominator: unique hosts of the group's country, unknown subdivision included
-- window: the whole study window
-- params: none
WITH groups(concentration, country, subdivision) AS (
  VALUES ('beijing', 'CN', 'CN-BJ'), ('shanghai_guangdong', 'CN', 'CN-SH'), ('shanghai_guangdong', 'CN', 'CN-GD'),
         ('virginia', 'US', 'US-VA')
),
per_country AS (SELECT country, count(*) AS country_hosts FROM host_geo GROUP BY country)
SELECT g.concentration, g.country, count(h.host) AS hosts, coalesce(max(p.country_hosts), 0) AS country_hosts,
       CASE WHEN coalesce(max(p.country_hosts), 0) = 0 THEN NULL ELSE count(h.host) / max(p.country_hosts) END AS share
FROM groups g
LEFT JOIN host_geo h ON h.country = g.country AND h.subdivision = g.subdivision
LEFT JOIN per_country p ON p.country = g.country
GROUP BY g.concentration, g.country ORDER BY g.concentration
