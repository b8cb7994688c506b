-- name: lineage_risk_by_month
-- definition: Risk signals of each lineage over time: per UTC month and lineage, the hosts that listed a local
--   model of it (every runtime) and, of those, the hosts where a model of the lineage carries a visible system
--   prompt that removes guardrails (enrichment's guardrail_removal, as in guardrail_removal_clusters) or that
--   falls in a misuse category (as in misuse_categories; misuse_categories lists the categories seen,
--   ';'-separated), the hosts listing an uncensored derivative of it (enrichment's name markers: abliterated,
--   uncensored, dolphin, ...; every runtime), and the exposed hosts: one model of the lineage with both the tools and the thinking
--   capability 'yes', served without credentials that month (a successful open visit) by a host whose uptime
--   (uptime_distribution, the measure of high_capability_availability) is at least exposure_min_uptime. Prompts
--   and capabilities are read from Ollama's /api/show and /api/tags only, so those counts are of Ollama hosts.
-- denominator: hosts of any runtime listing the lineage in the month (the *_share columns)
-- window: each UTC month with a successful visit listing a local model
-- params: exposure_min_uptime = 0.8
WITH lh AS (SELECT month, lineage, count(*) AS hosts FROM lineage_host_months GROUP BY ALL),
-- Ollama models with a visible prompt, and the prompts' labels
prompted AS (
  SELECT c.model_key, c.lineage, coalesce(p.guardrail_removal, false) AS guardrail_removal,
         coalesce(p.misuse_categories, []) AS categories
  FROM model_catalog c LEFT JOIN prompts p USING (prompt_sha) WHERE NOT c.cloud AND c.prompt_sha IS NOT NULL
),
prompt_hosts AS (
  SELECT h.month, p.lineage, count(DISTINCT h.host) FILTER (WHERE p.guardrail_removal) AS guardrail_removal_hosts,
         count(DISTINCT h.host) FILTER (WHERE len(p.categories) > 0) AS misuse_hosts,
         array_to_string(list_sort(list_distinct(flatten(list(p.categories)))), ';') AS misuse_categories
  FROM host_model_month h JOIN prompted p USING (model_key) GROUP BY ALL
),
-- every runtime: inventories holding an uncensored-marked model, by the model's lineage
unc_invs AS (
  SELECT DISTINCT inv, lineage FROM inventory_models WHERE uncensored_name AND NOT cloud
),
unc_hosts AS (
  SELECT h.month, u.lineage, count(DISTINCT h.host) AS uncensored_hosts
  FROM host_inv_months h JOIN unc_invs u USING (inv) GROUP BY ALL
),
-- Ollama hosts serving a tools-and-thinking model of the lineage without credentials, highly available
exposed AS (
  SELECT month, lineage, count(*) AS exposed_hosts FROM lineage_exposure WHERE uptime >= $exposure_min_uptime
  GROUP BY ALL
)
SELECT l.month, l.lineage, l.hosts, coalesce(p.guardrail_removal_hosts, 0) AS guardrail_removal_hosts,
       coalesce(p.guardrail_removal_hosts, 0) / l.hosts AS guardrail_removal_share,
       coalesce(p.misuse_hosts, 0) AS misuse_hosts, coalesce(p.misuse_hosts, 0) / l.hosts AS misuse_share,
       coalesce(p.misuse_categories, '') AS misuse_categories,
       coalesce(u.uncensored_hosts, 0) AS uncensored_hosts, coalesce(u.uncensored_hosts, 0) / l.hosts AS uncensored_share,
       coalesce(x.exposed_hosts, 0) AS exposed_hosts, coalesce(x.exposed_hosts, 0) / l.hosts AS exposed_share
FROM lh l LEFT JOIN prompt_hosts p USING (month, lineage) LEFT JOIN unc_hosts u USING (month, lineage)
LEFT JOIN exposed x USING (month, lineage)
ORDER BY l.month, l.hosts DESC, l.lineage
