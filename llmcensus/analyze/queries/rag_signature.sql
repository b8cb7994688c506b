-- name: rag_signature
-- definition: The RAG signature: hosts carrying, at the same time or over the window, a chat model (a local model
--   with completion = yes and embedding <> yes) and an embedding model (embedding = yes). hosts_possible adds hosts
--   where a model of unknown capability could complete the pair.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts
-- window: the whole study window
-- params: none
WITH s AS (
  SELECT host, bool_or(completion = 'yes' AND embedding <> 'yes') AS chat, bool_or(embedding = 'yes') AS embed,
         bool_or(completion = 'unknown' OR embedding = 'unknown') AS unknown
  FROM host_cap_keys JOIN capability_classes USING (cap_key) GROUP BY host
)
SELECT count(*) FILTER (WHERE chat AND embed) AS hosts,
       count(*) FILTER (WHERE chat AND embed) / (SELECT count(*) FROM host_stats) AS host_share,
       count(*) FILTER (WHERE (chat AND embed) OR (unknown AND (chat OR embed))) AS hosts_possible
FROM s
