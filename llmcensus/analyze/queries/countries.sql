-- name: countries
-- definition: Unique hosts per geolocated country (ISO 3166-1 alpha-2; 'unknown' when the host's address has
--   no geolocation), ranked by hosts; the study's "top 10 countries by share of unique hosts" is the first ten
--   known rows.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts, unknown country included
-- window: the whole study window
-- params: none
SELECT country, count(*) AS hosts, count(*) / (SELECT count(*) FROM host_geo) AS host_share,
       rank() OVER (ORDER BY count(*) DESC) AS rank
FROM host_geo GROUP BY country ORDER BY hosts DESC, country
