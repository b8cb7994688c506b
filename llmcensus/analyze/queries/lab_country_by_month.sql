-- name: lab_country_by_month
-- definition: Per UTC month and lab country of origin (e.g. CN vs US lineages): unique hosts carrying at least one
--   local model from a lab of that country, and their share of the month's active hosts. A host with models from
--   several countries counts once under each, so shares can sum above 1.
--   Population: successful Ollama observations and their hosts.
-- denominator: hosts with a successful Ollama observation in that month
-- window: each UTC month of the study window
-- params: none
WITH act AS (SELECT month, count(*) AS active_hosts FROM host_months GROUP BY month)
SELECT i.month, i.lab_country, count(DISTINCT i.host) AS hosts, count(DISTINCT i.host) / max(act.active_hosts) AS host_share
FROM host_model_months i JOIN act USING (month) WHERE NOT i.cloud
GROUP BY i.month, i.lab_country ORDER BY i.month, hosts DESC, i.lab_country
