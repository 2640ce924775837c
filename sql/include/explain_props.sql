-- explain_analyze(query, keys): the named Intercom properties of the
-- query's foreign scan, from EXPLAIN (ANALYZE, FORMAT JSON)
CREATE FUNCTION pg_temp.explain_analyze(q text, keys text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  j jsonb;
  k text;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q INTO j;
  FOREACH k IN ARRAY keys LOOP
    RETURN NEXT k || ': ' || coalesce(jsonb_path_query_first(j, ('strict $.**."' || k || '"')::jsonpath) #>> '{}', '(absent)');
  END LOOP;
END $$;
