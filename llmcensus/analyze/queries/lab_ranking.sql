-- name: lab_ranking
-- definition: Labs behind the lineages of local models (enrichment's lineage -> lab map, with the lab's
--   country) ranked by unique hosts carrying at least one of their models.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
SELECT lab, lab_country, count(DISTINCT host) AS hosts,
       count(DISTINCT host) / (SELECT count(*) FROM host_stats) AS host_share, sum(instances) AS instances,
       rank() OVER (ORDER BY count(DISTINCT host) DESC) AS rank
FROM host_models WHERE NOT cloud GROUP BY lab, lab_country ORDER BY rank, lab
