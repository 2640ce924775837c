-- A cancel (here statement_timeout during a slow Intercom response) fails a
-- materialize_run like any other failure: the copy and its state are left
-- exactly as they were, the failed run is logged with SQLSTATE 57014, and the
-- next run catches up.  A suite of its own because statement_timeout does
-- not fire under libfaketime: the clock-shifted run (IC_CLOCK_SHIFT) leaves
-- it out, and says so.
\i sql/include/setup.sql
SET intercom_fdw.progress = off;
\set VERBOSITY terse
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS copies_timeouts CASCADE;
RESET client_min_messages;
CREATE SCHEMA copies_timeouts;
CREATE FUNCTION pg_temp.fingerprint(copy text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    EXECUTE format('SELECT md5(coalesce(string_agg(c::text, E''\n'' ORDER BY c::text), '''')) FROM %s c', copy)
       INTO h;
    RETURN h;
END $$;
CALL intercom_fdw.materialize_run('ic.contacts', 'copies_timeouts.contacts') \gset first_
SELECT :'first_method' AS method, :first_rows_upserted > 0 AS loaded;
\! python3 test/fakectl.py mutate contacts --count 3
SELECT pg_temp.fingerprint('copies_timeouts.contacts') AS copy_before \gset
SELECT s::text AS state_before FROM intercom_fdw.sync_state s WHERE target = 'copies_timeouts.contacts' \gset
SELECT max(id) AS log_before FROM intercom_fdw.sync_log \gset
\! python3 test/fakectl.py fault slow --count 1 --path /contacts --delay-ms 3000
SET statement_timeout = '500ms';
CALL intercom_fdw.materialize_run('ic.contacts', 'copies_timeouts.contacts');
RESET statement_timeout;
\! python3 test/fakectl.py faults-clear
SELECT pg_temp.fingerprint('copies_timeouts.contacts') = :'copy_before' AS copy_unchanged,
       (SELECT s::text FROM intercom_fdw.sync_state s WHERE target = 'copies_timeouts.contacts') = :'state_before' AS state_unchanged;
SELECT status, method, error_sqlstate, error_message, bookmark_to IS NULL AS no_new_bookmark
  FROM intercom_fdw.sync_log WHERE id > :log_before ORDER BY id;
-- once Intercom answers again, the next run catches up
CALL intercom_fdw.materialize_run('ic.contacts', 'copies_timeouts.contacts') \gset run_
SELECT :'run_method' AS method, :run_rows_upserted >= 3 AS caught_up;
SELECT count(*) AS differences
  FROM ((SELECT * FROM ic.contacts EXCEPT ALL SELECT * FROM copies_timeouts.contacts)
        UNION ALL (SELECT * FROM copies_timeouts.contacts EXCEPT ALL SELECT * FROM ic.contacts)) d;
SET client_min_messages = warning;
DROP SCHEMA copies_timeouts CASCADE;
RESET client_min_messages;
