-- name: models_per_observation_by_month
-- definition: Per UTC month, the mean and median number of models listed by /api/tags in one successful Ollama
--   observation (cloud stubs included, as the host lists them); the study's "3 in March, 4 by September".
-- denominator: successful Ollama observations of that month
-- window: each UTC month of the study window
-- params: none
SELECT month, count(*) AS observations, avg(model_count) AS mean_models,
       median(model_count) AS median_models
FROM ollama_obs GROUP BY month ORDER BY month
