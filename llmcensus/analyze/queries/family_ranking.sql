-- name: family_ranking
-- definition: Model families (Ollama details.family, the GGUF architecture name: llama, qwen2, gemma2, ...) of
--   local models ranked three ways: by unique hosts carrying the family, by observations whose inventory lists it,
--   and by host-days (distinct host x UTC day pairs with it). Ranks are competition ranks (ties share a rank);
--   rank_volatility = max - min of the three ranks, 0 when the weightings agree. Cloud-proxied models are
--   left out (see cloud_models).
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts (host_share); all successful Ollama observations (observation_share)
-- window: the whole study window
-- params: none
WITH f AS (
  SELECT family, count(*) AS hosts, sum(observations) AS observations, sum(host_days) AS host_days,
         sum(instances) AS instances
  FROM host_families GROUP BY family
),
r AS (
  SELECT *, rank() OVER (ORDER BY hosts DESC) AS rank_hosts, rank() OVER (ORDER BY observations DESC) AS rank_observations,
         rank() OVER (ORDER BY host_days DESC) AS rank_host_days
  FROM f
)
SELECT family, hosts, hosts / (SELECT count(*) FROM host_stats) AS host_share, observations,
       observations / (SELECT sum(observations) FROM host_stats) AS observation_share, host_days, instances,
       rank_hosts, rank_observations, rank_host_days,
       greatest(rank_hosts, rank_observations, rank_host_days) - least(rank_hosts, rank_observations, rank_host_days)
         AS rank_volatility
FROM r ORDER BY rank_hosts, family
