-- name: public_library_hosts
-- definition: "Public library" hosts: portfolio size (largest inventory seen) of at least public_library_min_models.
--   Their share of hosts, their share of all local model instances, and how many of all local families they carry
--   (they drive instance volume and family diversity).
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts (host_share); all local model instances (instance_share); all local families
-- window: the whole study window
-- params: public_library_min_models = 20
WITH lib AS (SELECT host FROM host_stats WHERE max_models >= $public_library_min_models),
loc AS (SELECT host, family, instances FROM host_family_months)
SELECT (SELECT count(*) FROM lib) AS hosts,
       (SELECT count(*) FROM lib) / (SELECT count(*) FROM host_stats) AS host_share,
       (SELECT sum(instances) FROM loc WHERE host IN (SELECT host FROM lib)) AS instances,
       (SELECT sum(instances) FROM loc WHERE host IN (SELECT host FROM lib)) / nullif((SELECT sum(instances) FROM loc), 0)
         AS instance_share,
       (SELECT count(DISTINCT family) FROM loc WHERE host IN (SELECT host FROM lib)) AS families,
       (SELECT count(DISTINCT family) FROM loc) AS all_families
