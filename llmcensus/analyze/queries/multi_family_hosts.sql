-- name: multi_family_hosts
-- definition: Hosts by how many distinct local model families they carried over the window: hosts with any local
--   model, hosts with two or more families (multi-family deployments, the base of the co-deployment shares) and
--   their share of all hosts.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
WITH hf AS (SELECT host, count(*) AS families FROM host_families GROUP BY host)
SELECT (SELECT count(*) FROM hf) AS hosts_with_models,
       (SELECT count(*) FROM hf WHERE families >= 2) AS multi_family_hosts,
       (SELECT count(*) FROM hf WHERE families >= 2) / (SELECT count(*) FROM host_stats) AS multi_family_share
