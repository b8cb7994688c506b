-- name: subdivisions
-- definition: Unique hosts per subdivision (ISO 3166-2: state, province or municipality) within each country,
--   with the subdivision's share of that country's hosts ('unknown' when not geolocated to a subdivision).
--   Population: successful Ollama observations and their hosts.
-- denominator: unique hosts of the same country
-- window: the whole study window
-- params: none
SELECT country, subdivision, count(*) AS hosts,
       count(*) / sum(count(*)) OVER (PARTITION BY country) AS share_of_country
FROM host_geo GROUP BY country, subdivision ORDER BY country, hosts DESC, subdivision
