-- name: cloud_models
-- definition: Cloud-proxied models (remote_host set, or a :cloud / -cloud tag; v0.12.0+) are not local compute and
--   are reported apart: hosts listing at least one, hosts whose every listed model is cloud-proxied, and cloud vs
--   local instances. Every family, quantization, capability and prompt metric counts local models only.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts (host_share); all model instances (cloud_instance_share)
-- window: the whole study window
-- params: none
WITH h AS (SELECT host, bool_or(cloud) AS any_cloud, bool_and(cloud) AS all_cloud FROM host_models GROUP BY host)
SELECT (SELECT count(*) FROM h WHERE any_cloud) AS hosts,
       (SELECT count(*) FROM h WHERE any_cloud) / (SELECT count(*) FROM host_stats) AS host_share,
       (SELECT count(*) FROM h WHERE all_cloud) AS cloud_only_hosts,
       (SELECT sum(instances) FROM host_models WHERE cloud) AS cloud_instances,
       (SELECT sum(instances) FROM host_models WHERE NOT cloud) AS local_instances,
       (SELECT sum(instances) FROM host_models WHERE cloud)
         / nullif((SELECT sum(instances) FROM host_models), 0) AS cloud_instance_share
