-- name: models_per_observation_by_month
-- definition: Per UTC month, the mean and median number of models listed by /api/tags in one successful Ollama
--   observation (cloud stubs included, as the host lists them); the study's "3 in March, 4 by September". The
--   median is the middle observation's count, the mean of the two middle ones when the month has an even number.
-- denominator: successful Ollama observations of that month
-- window: each UTC month of the study window
-- params: none
WITH c AS (  -- month_model_counts is a histogram: upto = observations listing at most model_count models
  SELECT month, model_count, observations, sum(observations) OVER (PARTITION BY month ORDER BY model_count) AS upto,
         sum(observations) OVER (PARTITION BY month) AS total
  FROM month_model_counts
)
SELECT month, CAST(sum(observations) AS BIGINT) AS observations,
       sum(model_count * observations) / sum(observations) AS mean_models,
       (min(model_count) FILTER (WHERE upto >= (total + 1) // 2) + min(model_count) FILTER (WHERE upto >= total // 2 + 1))
         / 2 AS median_models
FROM c GROUP BY month ORDER BY month
