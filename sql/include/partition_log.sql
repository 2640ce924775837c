-- Partitioned scans take their partitions as the probes land, so how many
-- there are, and where they are cut, can differ from run to run.  What
-- must hold every time: they tile created_at, and their number is within
-- what the slots make.
--
-- part_log: the fake's request log, loaded by the caller:
--   TRUNCATE part_log;
--   \copy part_log FROM PROGRAM 'python3 test/fakectl.py log --raw' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP TABLE part_log(line text);

-- partition_tiling(path, lo, hi): each partition's first page is a search
-- sorted by created_at without a cursor (so are the two range probes, but
-- they ask for every created_at: < 0 OR = 0 OR > 0);
-- their created_at bounds (lower: "= B", or "> B-1" to the second; upper:
-- "< C") must chain from an open start to an open end, and there must be
-- lo to hi of them.
CREATE FUNCTION pg_temp.partition_tiling(path text, lo int, hi int) RETURNS TABLE(partitions_in_range boolean, tiled boolean)
LANGUAGE sql AS $$
  WITH bodies AS (
    SELECT substr(line, length('POST ' || path || ' ') + 1)::jsonb AS b
      FROM part_log WHERE starts_with(line, 'POST ' || path || ' ')),
  firsts AS (
    SELECT b->'query' AS q FROM bodies
     WHERE NOT (b->'pagination' ? 'starting_after') AND b->'sort'->>'field' = 'created_at'
       AND NOT jsonb_path_exists(b->'query', 'strict $.** ? (@.field == "created_at" && @.value == 0)')),
  bounds AS (
    SELECT coalesce(
             (SELECT min((l->>'value')::bigint) FROM jsonb_path_query(q, 'strict $.** ? (@.field == "created_at" && @.operator == "=")') l),
             (SELECT min((l->>'value')::bigint) + 1 FROM jsonb_path_query(q, 'strict $.** ? (@.field == "created_at" && @.operator == ">")') l)) AS lo,
           (SELECT max((l->>'value')::bigint) FROM jsonb_path_query(q, 'strict $.** ? (@.field == "created_at" && @.operator == "<")') l) AS hi
      FROM firsts),
  ordered AS (
    SELECT lo, hi, lag(hi) OVER w AS prev_hi, row_number() OVER w AS k, count(*) OVER () AS n
      FROM bounds WINDOW w AS (ORDER BY lo NULLS FIRST))
  SELECT count(*) BETWEEN $2 AND $3,
         coalesce(bool_and(CASE WHEN k = 1 THEN lo IS NULL ELSE lo = prev_hi END AND
                           (hi IS NULL) = (k = n) AND (lo IS NULL OR hi IS NULL OR lo < hi)), false)
    FROM ordered
$$;

-- within(line, name, lo, hi): an EXPLAIN property line 'name: N' shown as
-- 'name: lo to hi' when N is in that range (else as it is, and the test
-- fails); other lines as they are
CREATE FUNCTION pg_temp.within(line text, name text, lo int, hi int) RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN split_part(line, ': ', 1) = name AND split_part(line, ': ', 2) ~ '^\d+$'
                   AND split_part(line, ': ', 2)::int BETWEEN lo AND hi
              THEN name || ': ' || lo || ' to ' || hi ELSE line END
$$;
