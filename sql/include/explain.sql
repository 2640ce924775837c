-- EXPLAIN (ANALYZE) text that reads the same on every PostgreSQL version:
-- 18 prints row counts with two decimals (rows=4.00), and the planner's
-- buffers unless BUFFERS is off
CREATE FUNCTION pg_temp.explain_analyze(query text) RETURNS TABLE ("QUERY PLAN" text)
LANGUAGE plpgsql AS $$
BEGIN
  FOR "QUERY PLAN" IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
    "QUERY PLAN" := regexp_replace("QUERY PLAN", 'rows=([0-9]+)\.00 ', 'rows=\1 ', 'g');
    RETURN NEXT;
  END LOOP;
END $$;
