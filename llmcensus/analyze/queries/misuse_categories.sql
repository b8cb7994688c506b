-- name: misuse_categories
-- definition: Hosts whose visible system prompts were labelled with a misuse category by enrichment's documented
--   rules (hacking, hate_harassment, violence_gore, personal_data_theft, scams_fraud, csam), and the row 'any' for
--   hosts with at least one category: the study's ~7.5 % is a share of hosts with visible prompts, not of all hosts.
--   Also hosts with a guardrail-removal prompt as the row 'guardrail_removal'.
--   Population: successful Ollama observations and their hosts.
-- denominator: hosts with a visible system prompt
-- window: the whole study window
-- params: none
WITH v AS (
  SELECT DISTINCT i.host, p.misuse_categories, p.guardrail_removal
  FROM host_models i LEFT JOIN prompts p USING (prompt_sha) WHERE NOT i.cloud AND i.prompt_sha IS NOT NULL
),
vis AS (SELECT count(DISTINCT host) AS n FROM v),
c AS (
  SELECT host, unnest(misuse_categories) AS category FROM v
  UNION ALL SELECT host, 'any' FROM v WHERE len(misuse_categories) > 0
  UNION ALL SELECT host, 'guardrail_removal' FROM v WHERE guardrail_removal
)
SELECT category, count(DISTINCT host) AS hosts, count(DISTINCT host) / max(vis.n) AS share_of_visible
FROM c CROSS JOIN vis GROUP BY category ORDER BY hosts DESC, category
