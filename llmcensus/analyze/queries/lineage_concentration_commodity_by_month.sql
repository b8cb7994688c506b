-- name: lineage_concentration_commodity_by_month
-- definition: lineage_concentration_by_month restricted to what runs on commodity hardware, every runtime: only
--   listings of local models whose weights fit a consumer GPU. A model fits when its parameters (enrichment's
--   param_b; else the upper edge of its param_band: <1B 1, 1-3B 3.5, 4-7B 7.5, 8-14B 14.5, 15-34B 34.5, 35-70B
--   70.5 billion) times its bits per weight (quant_bits) / 8 is at most commodity_weights_gb gigabytes (20 by
--   default: a 24 GB card, RTX 3090/4090 class, with 4 GB left for the context cache; so 14B fits at 8 bits,
--   32B at 4 bits, 8B even at 16 bits, 70B never). A model of unknown size or quantization is left out. Per UTC
--   month: lineages seen, the (host, lineage) listings (compare with lineage_concentration_by_month's listings
--   for the commodity part of the whole), the top 1/5/10 shares and the Herfindahl-Hirschman index. 'unknown'
--   counts as one lineage.
-- denominator: commodity (host, lineage) listings of the month (shares)
-- window: each UTC month with a successful visit listing a local model
-- params: commodity_weights_gb = 20
WITH fits AS (
  SELECT DISTINCT e.inv, e.lineage FROM inventory_models e
  WHERE NOT e.cloud AND e.quant_bits IS NOT NULL
    AND coalesce(e.param_b, CASE e.param_band WHEN '<1B' THEN 1.0 WHEN '1-3B' THEN 3.5 WHEN '4-7B' THEN 7.5
                                 WHEN '8-14B' THEN 14.5 WHEN '15-34B' THEN 34.5 WHEN '35-70B' THEN 70.5 END)
        * e.quant_bits / 8 <= $commodity_weights_gb
),
per_lineage AS (
  SELECT h.month, f.lineage, count(DISTINCT h.host) AS hosts FROM host_inv_months h JOIN fits f USING (inv)
  GROUP BY ALL
),
ranked AS (
  SELECT *, hosts / sum(hosts) OVER (PARTITION BY month) AS share,
         row_number() OVER (PARTITION BY month ORDER BY hosts DESC, lineage) AS r
  FROM per_lineage
)
SELECT r.month, count(*) AS lineages, CAST(sum(r.hosts) AS BIGINT) AS listings,
       sum(r.share) FILTER (WHERE r.r <= 1) AS top1_share, sum(r.share) FILTER (WHERE r.r <= 5) AS top5_share,
       sum(r.share) FILTER (WHERE r.r <= 10) AS top10_share, sum(r.share * r.share) AS hhi
FROM ranked r GROUP BY r.month ORDER BY r.month
