-- name: quality_flags
-- definition: Hosts flagged by the quality checks of the flags view: clone_farm (an identical non-empty inventory,
--   stamps normalised to UTC to the nanosecond, on many addresses, or one nanosecond stamp shared by many: honeypot
--   farms and copied images), fake_ollama (the host's own evidence: impossible digests, one fractional second
--   everywhere, schema slips, volatile stamps, an unexplained Server header; docs/security.md) and multi_port (one
--   address answering as Ollama on many ports); 'any' counts each flagged host once. Look-alike runtimes are
--   excluded before this, by runtime verdict. Every headline figure is reported with and without these hosts.
--   Population: successful Ollama observations and their hosts.
-- denominator: all unique hosts (host_share); all successful Ollama observations (observation_share)
-- window: the whole study window
-- params: none
WITH f AS (SELECT host, flag FROM flags UNION ALL SELECT DISTINCT host, 'any' FROM flags)
SELECT f.flag, count(*) AS hosts, count(*) / (SELECT count(*) FROM host_stats) AS host_share,
       CAST(sum(h.observations) AS BIGINT) AS observations, sum(h.observations) / (SELECT sum(observations) FROM host_stats) AS observation_share
FROM f JOIN host_stats h USING (host) GROUP BY f.flag ORDER BY CASE f.flag WHEN 'any' THEN 2 ELSE 1 END, f.flag
