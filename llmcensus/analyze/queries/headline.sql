-- name: headline
-- definition: The figures people quote, in long form (scope, figure, value), computed twice: scope 'all' (every
--   host) and scope 'unflagged' (hosts in the flags view removed: clone farms, fake Ollama hosts and multi-port addresses).
--   Counts: observations, unique_hosts, countries, asns, persistent_hosts; shares of the scope's hosts (or
--   observations where named): persistent (> persistent_min_obs observations) and single-observation hosts and
--   their observation shares, tools/vision/thinking/embedding coverage (label yes), Q4_K_M presence, public-library
--   hosts (>= public_library_min_models models), system-prompt visibility, guardrail-removal hosts (a count).
--   Population: successful Ollama observations and their hosts.
-- denominator: the scope's unique hosts (host shares) or the scope's observations (observation shares)
-- window: the whole study window
-- params: persistent_min_obs = 100, public_library_min_models = 20
WITH scopes(scope) AS (VALUES ('all'), ('unflagged')),
sh AS (
  SELECT 'all' AS scope, host FROM host_stats
  UNION ALL SELECT 'unflagged', host FROM host_stats WHERE host NOT IN (SELECT host FROM flags)
),
hs AS (SELECT sh.scope, h.* FROM sh JOIN host_stats h USING (host)),
base AS (
  SELECT s.scope, count(hs.host) AS hosts, coalesce(sum(hs.observations), 0) AS obs,
         count(hs.host) FILTER (WHERE hs.observations > $persistent_min_obs) AS persistent,
         coalesce(sum(hs.observations) FILTER (WHERE hs.observations > $persistent_min_obs), 0) AS persistent_obs,
         count(hs.host) FILTER (WHERE hs.observations = 1) AS single,
         count(hs.host) FILTER (WHERE hs.max_models >= $public_library_min_models) AS library
  FROM scopes s LEFT JOIN hs USING (scope) GROUP BY s.scope
),
g AS (
  SELECT sh.scope, count(DISTINCT hg.country) FILTER (WHERE hg.country <> 'unknown') AS countries,
         count(DISTINCT hg.asn) AS asns
  FROM sh JOIN host_geo hg USING (host) GROUP BY sh.scope
),
caps AS (
  SELECT sh.scope, count(*) FILTER (WHERE c.capability = 'tools' AND c.label = 'yes') AS tools,
         count(*) FILTER (WHERE c.capability = 'vision' AND c.label = 'yes') AS vision,
         count(*) FILTER (WHERE c.capability = 'thinking' AND c.label = 'yes') AS thinking,
         count(*) FILTER (WHERE c.capability = 'embedding' AND c.label = 'yes') AS embedding
  FROM sh JOIN host_capabilities c USING (host) GROUP BY sh.scope
),
hi AS (
  SELECT host, bool_or(quantization_level = 'Q4_K_M') AS q4km, bool_or(prompt_sha IS NOT NULL) AS prompt,
         bool_or(coalesce(p.guardrail_removal, false)) AS guardrail
  FROM host_models LEFT JOIN prompts p USING (prompt_sha) WHERE NOT cloud GROUP BY host
),
m AS (
  SELECT sh.scope, count(*) FILTER (WHERE hi.q4km) AS q4km, count(*) FILTER (WHERE hi.prompt) AS prompt,
         count(*) FILTER (WHERE hi.guardrail) AS guardrail
  FROM sh JOIN hi USING (host) GROUP BY sh.scope
),
w AS (
  SELECT b.scope, b.obs AS observations, b.hosts AS unique_hosts, coalesce(g.countries, 0) AS countries,
         coalesce(g.asns, 0) AS asns, b.persistent AS persistent_hosts,
         b.persistent / nullif(b.hosts, 0) AS persistent_host_share,
         b.persistent_obs / nullif(b.obs, 0) AS persistent_observation_share,
         b.single / nullif(b.hosts, 0) AS single_observation_host_share,
         b.single / nullif(b.obs, 0) AS single_observation_observation_share,
         coalesce(c.tools, 0) / nullif(b.hosts, 0) AS tools_host_share,
         coalesce(c.vision, 0) / nullif(b.hosts, 0) AS vision_host_share,
         coalesce(c.thinking, 0) / nullif(b.hosts, 0) AS thinking_host_share,
         coalesce(c.embedding, 0) / nullif(b.hosts, 0) AS embedding_host_share,
         coalesce(m.q4km, 0) / nullif(b.hosts, 0) AS q4_k_m_host_share,
         b.library / nullif(b.hosts, 0) AS public_library_host_share,
         coalesce(m.prompt, 0) / nullif(b.hosts, 0) AS system_prompt_visible_host_share,
         coalesce(m.guardrail, 0) AS guardrail_removal_hosts
  FROM base b LEFT JOIN g USING (scope) LEFT JOIN caps c USING (scope) LEFT JOIN m USING (scope)
)
SELECT scope, figure, CAST(value AS DOUBLE) AS value
FROM (UNPIVOT (SELECT scope, COLUMNS(* EXCLUDE (scope))::DOUBLE FROM w) ON COLUMNS(* EXCLUDE (scope)) INTO NAME figure VALUE value)
ORDER BY scope, figure
