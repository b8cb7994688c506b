-- name: asn_types
-- definition: Unique hosts per ASN type (fixed_access_telecom, mobile, hosting, cdn, education, government,
--   business, transit, unknown) of the host's origin ASN; the second, finer labelling the study keeps beside tiers.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
SELECT asn_type, count(*) AS hosts, count(*) / (SELECT count(*) FROM host_geo) AS host_share
FROM host_geo GROUP BY asn_type ORDER BY hosts DESC, asn_type
