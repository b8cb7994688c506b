-- name: bit_width
-- definition: Bit width of local models' quantization (enrichment's quant_bits: 4 for Q4_K_M/Q4_0, 8 for Q8_0,
--   16 for F16/BF16, ...; 'unknown' when not derivable), per instance (the study's 4-bit 72 %, 16-bit 19 %) and
--   per host (hosts carrying that width at least once).
--   Population: successful Ollama observations and their hosts.
-- denominator: all local model instances (instance_share); all unique hosts (host_share)
-- window: the whole study window
-- params: none
SELECT CASE WHEN quant_bits IS NULL THEN 'unknown' WHEN quant_bits = floor(quant_bits) THEN CAST(CAST(quant_bits AS INTEGER) AS VARCHAR)
            ELSE CAST(quant_bits AS VARCHAR) END AS bits, sum(instances) AS instances,
       sum(instances) / sum(sum(instances)) OVER () AS instance_share, count(DISTINCT host) AS hosts,
       count(DISTINCT host) / (SELECT count(*) FROM host_stats) AS host_share
FROM host_models WHERE NOT cloud GROUP BY 1 ORDER BY instances DESC, 1
