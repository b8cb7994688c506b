-- name: capability_unknowns_by_version
-- definition: Why capability shares carry unknowns: observations, hosts and local model instances per Ollama
--   version band (before_0_6_4: /api/show has no capabilities; from_0_6_4_to_0_8: no thinking label; from_0_9_0:
--   full list; unknown: no /api/version), with the instances whose reported capability list is absent.
--   Population: successful Ollama observations and their hosts.
-- denominator: local model instances of the band (unknown_share)
-- window: the whole study window
-- params: none
WITH o AS (  -- per (host, version): the version is parsed once per pair, not once per observation
  SELECT host, observations, local_models, local_without_capabilities, CASE
      WHEN v IS NULL THEN 'unknown'
      WHEN v < [0, 6, 4] THEN 'before_0_6_4'
      WHEN v < [0, 9, 0] THEN 'from_0_6_4_to_0_8'
      ELSE 'from_0_9_0' END AS version_band
  FROM (SELECT host, observations, local_models, local_without_capabilities,
               CASE WHEN regexp_matches(coalesce(version, ''), '^v?[0-9]+\.[0-9]+\.[0-9]+')
                    THEN CAST(string_split(regexp_extract(version, '^v?([0-9]+\.[0-9]+\.[0-9]+)', 1), '.') AS INTEGER[])
               END AS v
        FROM host_versions)
)
SELECT version_band, CAST(sum(observations) AS BIGINT) AS observations, count(DISTINCT host) AS hosts,
       CAST(sum(local_models) AS BIGINT) AS instances,
       CAST(sum(local_without_capabilities) AS BIGINT) AS instances_without_capabilities,
       sum(local_without_capabilities) / nullif(sum(local_models), 0) AS unknown_share
FROM o GROUP BY version_band ORDER BY version_band
