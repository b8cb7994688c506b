-- model_capabilities: one row per model instance (one model in one observation's inventory),
-- with every capability labelled by where the answer comes from.
--
-- Input: a relation shaped like `observations` (schema: llmcensus/observations/schema.py); capabilities_sql(source) names it.
-- Rendered by llmcensus/enrich/capabilities.py, which fills the {…} family lists from
-- reference/data/families.csv.
--
-- Columns:
--   observation_id, sweep_id, ip, port, day, version  from the observation
--   model_idx        1-based position of the model in observations.models
--   name, digest, family                             from the model
--   <cap>            BOOLEAN: true / false / NULL (NULL only when <cap>_source = 'unknown')
--   <cap>_source     'reported' | 'inferred' | 'unknown'
--   for <cap> in completion, tools, insert, vision, embedding, thinking, image, audio.
--
-- reported: the host's own list (/api/show `capabilities`, v0.6.4+, else /api/tags
--   `capabilities`, v0.30+). A value is only *reported* when the host's version can express it:
--   thinking from v0.9.0, image from v0.14.0, audio from v0.20.0. A 0.6.4-0.8.x host never lists
--   thinking even for reasoning models, so its missing thinking falls through to inference, never
--   "false". When the version is unknown, a listed value still counts as reported.
-- inferred (how Ollama itself derives each capability, protocols.md 1.8):
--   tools / insert  template references .Tools / .Suffix (template_flags; exact, can be false)
--   thinking        template references .Thinking, or family gptoss / gpt-oss (only ever true)
--   vision          projector (has_projector, "clip" in families) or an in-file vision
--                   architecture -> true; another catalogued architecture -> false
--   embedding       embedding architecture -> true; another catalogued architecture -> false
--                   (qwen3-embedding reports family qwen3: it needs the reported list)
--   completion      not embedding, where embedding is known
-- unknown: nothing above applies (image and audio are never inferred).
CREATE OR REPLACE VIEW model_capabilities AS
WITH inst AS (
    SELECT
        observation_id, sweep_id, ip, port, day, version,
        unnest(range(1, len(models) + 1)) AS model_idx,
        unnest(models) AS m,
        CASE WHEN regexp_matches(coalesce(version, ''), '^v?[0-9]+\.[0-9]+\.[0-9]+')
             THEN list_transform(
                 string_split(regexp_extract(version, '^v?([0-9]+\.[0-9]+\.[0-9]+)', 1), '.'),
                 lambda x: CAST(x AS INTEGER))
        END AS v
    FROM {source}
    WHERE models IS NOT NULL AND len(models) > 0
),
base AS (
    SELECT
        observation_id, sweep_id, ip, port, day, version, model_idx,
        m.name AS name, m.digest AS digest, m.family AS family,
        coalesce(m.capabilities, m.tags_capabilities) AS reported,
        m.template_flags AS flags,
        coalesce(m.has_projector, false) OR coalesce(list_contains(m.families, 'clip'), false) AS projector,
        try_cast(regexp_extract(m.parameter_size, '^\s*([0-9.]+)', 1) AS DOUBLE)
            * CASE upper(regexp_extract(m.parameter_size, '([KMBTkmbt])\s*$', 1))
                WHEN 'K' THEN 1e-6 WHEN 'M' THEN 1e-3 WHEN 'B' THEN 1 WHEN 'T' THEN 1e3 END AS billions,
        v
    FROM inst
),
facts AS (
    SELECT *,
        reported IS NOT NULL AS has_list,
        family IN ({catalogued_families}) AS family_known,
        family IN ({embedding_families}) AS family_embedding,
        projector
            OR family IN ({vision_families})
            OR (family IN ({vision_size_families}) AND coalesce(billions, 0) >= 2) AS vision_inferred
    FROM base
),
labelled AS (
    SELECT *,
        -- embedding / completion inference share one answer
        CASE WHEN family_known THEN family_embedding END AS emb_inf
    FROM facts
)
SELECT
    observation_id, sweep_id, ip, port, day, version, model_idx, name, digest, family,

    CASE WHEN has_list THEN list_contains(reported, 'completion')
         WHEN emb_inf IS NOT NULL THEN NOT emb_inf END AS completion,
    CASE WHEN has_list THEN 'reported' WHEN emb_inf IS NOT NULL THEN 'inferred' ELSE 'unknown' END
        AS completion_source,

    CASE WHEN has_list THEN list_contains(reported, 'tools')
         WHEN flags IS NOT NULL THEN list_contains(flags, 'tools') END AS tools,
    CASE WHEN has_list THEN 'reported' WHEN flags IS NOT NULL THEN 'inferred' ELSE 'unknown' END AS tools_source,

    CASE WHEN has_list THEN list_contains(reported, 'insert')
         WHEN flags IS NOT NULL THEN list_contains(flags, 'suffix') END AS insert,
    CASE WHEN has_list THEN 'reported' WHEN flags IS NOT NULL THEN 'inferred' ELSE 'unknown' END AS insert_source,

    CASE WHEN has_list THEN list_contains(reported, 'vision')
         WHEN vision_inferred THEN true
         WHEN family_known THEN false END AS vision,
    CASE WHEN has_list THEN 'reported' WHEN vision_inferred OR family_known THEN 'inferred' ELSE 'unknown' END
        AS vision_source,

    CASE WHEN has_list THEN list_contains(reported, 'embedding')
         ELSE emb_inf END AS embedding,
    CASE WHEN has_list THEN 'reported' WHEN emb_inf IS NOT NULL THEN 'inferred' ELSE 'unknown' END
        AS embedding_source,

    CASE WHEN has_list AND (v >= [0, 9, 0] OR list_contains(reported, 'thinking')) THEN list_contains(reported, 'thinking')
         WHEN coalesce(list_contains(flags, 'thinking'), false) OR family IN ('gptoss', 'gpt-oss') THEN true END
        AS thinking,
    CASE WHEN has_list AND (v >= [0, 9, 0] OR list_contains(reported, 'thinking')) THEN 'reported'
         WHEN coalesce(list_contains(flags, 'thinking'), false) OR family IN ('gptoss', 'gpt-oss') THEN 'inferred'
         ELSE 'unknown' END AS thinking_source,

    CASE WHEN has_list AND (v >= [0, 14, 0] OR list_contains(reported, 'image')) THEN list_contains(reported, 'image') END
        AS image,
    CASE WHEN has_list AND (v >= [0, 14, 0] OR list_contains(reported, 'image')) THEN 'reported' ELSE 'unknown' END
        AS image_source,

    CASE WHEN has_list AND (v >= [0, 20, 0] OR list_contains(reported, 'audio')) THEN list_contains(reported, 'audio') END
        AS audio,
    CASE WHEN has_list AND (v >= [0, 20, 0] OR list_contains(reported, 'audio')) THEN 'reported' ELSE 'unknown' END
        AS audio_source
FROM labelled;
