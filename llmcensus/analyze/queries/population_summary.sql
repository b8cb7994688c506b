-- name: population_summary
-- definition: The size of the study in one row. visits counts every record (all statuses and runtimes);
--   observations counts successful Ollama observations; unique_hosts counts distinct hosts among them (host =
--   ip or ip:port by the host_key setting); countries and asns count distinct known geolocated countries and
--   origin ASNs of those hosts; host_days sums, over hosts, the distinct UTC days each host was observed.
-- denominator: none (counts); means divide by unique_hosts
-- window: from the first to the last UTC day with any visit; window_days counts calendar days inclusive
-- params: none
SELECT
  (SELECT CAST(sum(visits) AS BIGINT) FROM sweep_days) AS visits,
  (SELECT CAST(sum(observations) AS BIGINT) FROM host_stats) AS observations,
  (SELECT count(*) FROM host_stats) AS unique_hosts,
  (SELECT count(DISTINCT country) FROM host_geo WHERE country <> 'unknown') AS countries,
  (SELECT count(DISTINCT asn) FROM host_geo WHERE asn IS NOT NULL) AS asns,
  (SELECT min(day) FROM sweep_days) AS first_day,
  (SELECT max(day) FROM sweep_days) AS last_day,
  (SELECT max(day) - min(day) + 1 FROM sweep_days) AS window_days,
  (SELECT sum(observations) / count(*) FROM host_stats) AS mean_observations_per_host,
  (SELECT CAST(sum(host_days) AS BIGINT) FROM host_stats) AS host_days,
  (SELECT sum(host_days) / count(*) FROM host_stats) AS mean_host_days_per_host
