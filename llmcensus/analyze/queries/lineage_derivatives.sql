-- name: lineage_derivatives
-- definition: The derivatives of each upstream lineage seen on exposed hosts, every runtime: a model name is a
--   derivative when its lineage is a catalogued fine-tune of the upstream (lineage_catalog.upstream), when it
--   carries an uncensoring marker (abliterated, uncensored, dolphin, ...: enrichment's uncensored_name), or when
--   it is published under a user namespace (a '/' in the name). Per (upstream, lineage, name): the kind
--   (fine_tune, uncensored, namespaced; the first that applies in that order), first and last UTC day a host
--   listed it, and the hosts that did.
-- denominator: none (counts)
-- window: the whole study window
-- params: none
WITH models AS (  -- distinct local models (a few tens of thousands), classified before any inventory is read
  SELECT DISTINCT name, lineage, uncensored_name AS unc FROM inventory_models WHERE NOT cloud
),
derivative AS (
  SELECT n.name, n.lineage, n.unc, u.upstream,
         CASE WHEN u.upstream <> n.lineage THEN 'fine_tune' WHEN n.unc THEN 'uncensored' ELSE 'namespaced' END AS kind
  FROM models n
  LEFT JOIN lineage_catalog c USING (lineage)
  CROSS JOIN LATERAL (SELECT unnest(CASE WHEN len(c.upstream) > 0 THEN c.upstream ELSE [n.lineage] END) AS upstream) u
  WHERE len(c.upstream) > 0 OR n.unc OR n.name LIKE '%/%'
),
invs AS (
  SELECT DISTINCT m.inv, d.upstream, d.lineage, d.name, d.kind
  FROM inventory_models m JOIN derivative d ON d.name = m.name AND d.lineage = m.lineage AND d.unc = m.uncensored_name
  WHERE NOT m.cloud
),
seen AS (
  SELECT d.upstream, d.lineage, d.name, d.kind, h.host, h.first_day, h.last_day
  FROM invs d JOIN host_inv_spans h USING (inv)
)
SELECT upstream, lineage, name, kind, min(first_day) AS first_seen, max(last_day) AS last_seen,
       count(DISTINCT host) AS hosts
FROM seen GROUP BY upstream, lineage, name, kind ORDER BY upstream, hosts DESC, name
