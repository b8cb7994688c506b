-- name: tier_asn_type
-- definition: Cross-tabulation of infrastructure tier by ASN type, in unique hosts: where the two labellings
--   agree and disagree (e.g. fixed-access telecom ASNs labelled another tier).
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
SELECT tier, asn_type, count(*) AS hosts, count(*) / (SELECT count(*) FROM host_geo) AS host_share
FROM host_geo GROUP BY tier, asn_type ORDER BY hosts DESC, tier, asn_type
