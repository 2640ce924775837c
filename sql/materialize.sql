-- intercom_fdw.materialize: local copies kept up to date (docs/materialize.md).
-- First loads of every stream, incremental runs that read only what changed,
-- full streams with deletions, failures that change nothing, concurrent runs,
-- and reset and Stitch state import/export (pg_cron schedules: cron.sql).  Failed runs
-- are logged by CALL materialize_run on a stock install (no dblink: it is
-- created only for section 5's second session), for a superuser and for a
-- role that is not one.
-- Timestamps, elapsed times and request ids vary: only counts and booleans
-- are printed.
\i sql/include/setup.sql
-- leftovers of an interrupted earlier run
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dblink;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'regress_ic_mat') THEN
        DROP OWNED BY regress_ic_mat CASCADE;
        DROP ROLE regress_ic_mat;
    END IF;
END $$;
RESET client_min_messages;
SET intercom_fdw.progress = off;
\set VERBOSITY terse
CREATE SCHEMA copies;

-- The fake's data as JSON lines (fakectl dump): the independent truth.
CREATE TEMP TABLE dump (stream text, rec jsonb);
CREATE TEMP TABLE dump_in (rec jsonb);
CREATE FUNCTION pg_temp.take_dump(s text) RETURNS void LANGUAGE sql AS $$
    DELETE FROM dump WHERE stream = s;
    INSERT INTO dump SELECT s, rec FROM dump_in;
    TRUNCATE dump_in;
$$;
CREATE FUNCTION pg_temp.epoch(j jsonb) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
    SELECT to_timestamp((j #>> '{}')::double precision)
$$;
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump contacts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('contacts');
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump tags' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('tags');
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump conversations' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('conversations');

\i sql/include/diff.sql
-- A fingerprint of a copy, to show that a failed run changed nothing.
CREATE FUNCTION pg_temp.fingerprint(copy text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    EXECUTE format('SELECT md5(coalesce(string_agg(c::text, E''\n'' ORDER BY c::text), '''')) FROM %s c', copy)
       INTO h;
    RETURN h;
END $$;

-- what materialize knows about the streams
SELECT stream, primary_key, incremental FROM intercom_fdw.streams() ORDER BY stream;

-- 1. First load of every stream: the copy is created with the source's
--    columns and primary key, and equals the source.  (The *_attributes
--    streams are keyed on full_name: name is shared by nested attributes,
--    e.g. name and plan.name, and every one of them must be copied.)
SELECT f.relname AS stream, m.method, m.rows_upserted, m.rows_deleted,
       m.bookmark_from IS NULL AS from_the_start, m.bookmark_to <= clock_timestamp() AS bookmark_set,
       m.requests > 0 AS used_the_api, m.target
  FROM pg_class f JOIN pg_namespace n ON n.oid = f.relnamespace AND n.nspname = 'ic'
 CROSS JOIN LATERAL intercom_fdw.materialize(f.oid::regclass, 'copies.' || f.relname) m
 WHERE f.relkind = 'f'
 ORDER BY f.relname;
SELECT c.relname AS copy, c.relkind, pg_get_constraintdef(k.oid) AS key,
       pg_temp.diff(('ic.' || c.relname)::regclass, 'copies.' || c.relname) AS differences
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'copies'
  LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
 WHERE c.relkind = 'r'
 ORDER BY c.relname;
-- same columns, same types
SELECT count(*) AS column_mismatches
  FROM (SELECT FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('ic', 'copies') AND c.relkind IN ('r', 'f') AND a.attnum > 0
           AND NOT a.attisdropped
         GROUP BY c.relname, a.attname, a.atttypid, a.attnum HAVING count(*) <> 2) x;
-- and against the fake's own dump
SELECT s.stream,
       (SELECT count(*) FROM dump d WHERE d.stream = s.stream) AS in_fake,
       CASE s.stream WHEN 'contacts' THEN (SELECT count(*) FROM copies.contacts)
                     WHEN 'tags' THEN (SELECT count(*) FROM copies.tags)
                     ELSE (SELECT count(*) FROM copies.conversations) END AS in_copy
  FROM (VALUES ('contacts'), ('conversations'), ('tags')) s(stream) ORDER BY 1;
SELECT count(*) AS contacts_not_as_in_fake
  FROM (SELECT * FROM dump WHERE stream = 'contacts') d
  FULL JOIN copies.contacts c ON c.id = d.rec ->> 'id'
 WHERE c.id IS NULL OR d.rec IS NULL
    OR c.updated_at IS DISTINCT FROM pg_temp.epoch(d.rec -> 'updated_at')
    OR c.email IS DISTINCT FROM d.rec ->> 'email';
-- the state and the log: one row per copy, one row per run
SELECT target, source, stream, replication, last_method, rows, runs,
       bookmark IS NOT NULL AS has_bookmark,
       last_rows_upserted = rows AS all_rows_new
  FROM intercom_fdw.sync_state ORDER BY target;
SELECT target, status, method, rows_read = rows_upserted AS read_all_written, rows_deleted,
       requests > 0 AS requests, error_message IS NULL AS no_error
  FROM intercom_fdw.sync_log ORDER BY target;

-- 2. Incremental: after 5 contacts change, the next run reads only records
--    updated since bookmark - lookback (default 1 day 1 hour), through a
--    filtered search, and upserts them.
SELECT bookmark AS bookmark_before FROM intercom_fdw.sync_state WHERE target = 'copies.contacts' \gset
\! python3 test/fakectl.py mutate contacts --count 5
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump contacts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('contacts');
SELECT count(*) AS expected_upserts FROM dump
 WHERE stream = 'contacts'
   AND pg_temp.epoch(rec -> 'updated_at') >= :'bookmark_before'::timestamptz - interval '1 day 1 hour' \gset
\! python3 test/fakectl.py log-clear
SELECT method, rows_upserted = :expected_upserts AS upserted_as_expected, rows_upserted >= 5 AS has_the_five,
       rows_deleted,
       bookmark_from = :'bookmark_before'::timestamptz - interval '1 day 1 hour' AS from_bookmark_minus_lookback,
       bookmark_to > :'bookmark_before'::timestamptz AS bookmark_advanced, requests
  FROM intercom_fdw.materialize('ic.contacts', 'copies.contacts') \gset run_
\echo :run_method :run_upserted_as_expected :run_has_the_five :run_rows_deleted :run_from_bookmark_minus_lookback :run_bookmark_advanced
-- the requests it reports are the requests the fake saw: one filtered search
\set fake_requests `python3 test/fakectl.py count`
SELECT :run_requests = :fake_requests AS requests_match_the_fake;
\! python3 test/fakectl.py log | grep -c '^POST /contacts/search 200 .*"field":"updated_at"'
\! python3 test/fakectl.py log | grep -c '^GET /contacts'
SELECT count(*) AS mutated_in_copy FROM copies.contacts WHERE name LIKE '%(mutated)';
SELECT pg_temp.diff('ic.contacts', 'copies.contacts') AS differences;
-- the lookback: a function argument, else the setting intercom_fdw.lookback
SELECT bookmark AS bookmark_before FROM intercom_fdw.sync_state WHERE target = 'copies.contacts' \gset
SELECT method, bookmark_from = :'bookmark_before'::timestamptz - interval '2 hours' AS lookback_2h
  FROM intercom_fdw.materialize('ic.contacts', 'copies.contacts', lookback => '2 hours');
SET intercom_fdw.lookback = '3 days';
SELECT bookmark AS bookmark_before FROM intercom_fdw.sync_state WHERE target = 'copies.contacts' \gset
SELECT method, bookmark_from = :'bookmark_before'::timestamptz - interval '3 days' AS lookback_3d
  FROM intercom_fdw.materialize('ic.contacts', 'copies.contacts');
RESET intercom_fdw.lookback;

-- 3. conversation_parts follows the conversations changed since its own
--    bookmark (stream_parent: it filters on conversation_updated_at): a new
--    conversation's parts arrive, and only it is opened.
SELECT bookmark AS parts_bookmark FROM intercom_fdw.sync_state WHERE target = 'copies.conversation_parts' \gset
\set new_conversation `python3 test/fakectl.py create conversations --count 1 --print-ids`
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump conversation_parts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('conversation_parts');
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump conversations' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('conversations');
SELECT count(*) AS expected_parts FROM dump
 WHERE stream = 'conversation_parts'
   AND pg_temp.epoch(rec -> 'conversation_updated_at') >= :'parts_bookmark'::timestamptz - interval '1 day 1 hour' \gset
SELECT count(*) AS expected_opened FROM dump
 WHERE stream = 'conversations'
   AND pg_temp.epoch(rec -> 'updated_at') >= :'parts_bookmark'::timestamptz - interval '1 day 1 hour' \gset
\! python3 test/fakectl.py log-clear
SELECT method, rows_upserted = :expected_parts AS upserted_as_expected, rows_upserted > 0 AS got_parts, rows_deleted
  FROM intercom_fdw.materialize('ic.conversation_parts', 'copies.conversation_parts');
\set opened `python3 test/fakectl.py log | grep -c '^GET /conversations/[0-9]'`
SELECT :opened = :expected_opened AS opened_only_changed, :opened >= 1 AS opened_the_new_one;
\! python3 test/fakectl.py log | grep -c '^POST /conversations/search 200 .*"field":"updated_at"'
SELECT count(*) > 0 AS new_parts_in_copy FROM copies.conversation_parts WHERE conversation_id = :'new_conversation';
SELECT method, rows_upserted >= 1 AS got_new_conversation
  FROM intercom_fdw.materialize('ic.conversations', 'copies.conversations');
SELECT pg_temp.diff('ic.conversation_parts', 'copies.conversation_parts') AS parts_differences,
       pg_temp.diff('ic.conversations', 'copies.conversations') AS conversations_differences;

-- 3b. A part carries its conversation's updated_at and part count, so all
--     parts of a changed conversation are rewritten, not only those whose
--     own updated_at moved.  Five conversations change; two get a reply, one
--     of them the conversation with more parts than the API returns (its 500
--     most recent): there the oldest part slides out and is deleted, as a
--     full load would not have it.
SELECT stream, parent_key, parent_updated_at FROM intercom_fdw.stream_parent;
SELECT bookmark AS parts_bookmark FROM intercom_fdw.sync_state WHERE target = 'copies.conversation_parts' \gset
SELECT count(*) AS parts_of_100007, min(id) AS oldest_of_100007
  FROM copies.conversation_parts WHERE conversation_id = '100007' \gset
\! python3 test/fakectl.py mutate conversations --count 5
\! python3 test/fakectl.py mutate conversations --ids 100001 100007 --add-parts 1
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump conversation_parts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('conversation_parts');
SELECT count(*) AS expected_parts FROM dump
 WHERE stream = 'conversation_parts'
   AND pg_temp.epoch(rec -> 'conversation_updated_at') >= :'parts_bookmark'::timestamptz - interval '1 day 1 hour' \gset
-- before the run, the copy's parts of the changed conversations are stale
SELECT count(DISTINCT c.conversation_id) AS conversations_stale
  FROM copies.conversation_parts c
  JOIN dump d ON d.stream = 'conversation_parts' AND d.rec ->> 'id' = c.id
 WHERE c.conversation_updated_at IS DISTINCT FROM pg_temp.epoch(d.rec -> 'conversation_updated_at')
    OR c.conversation_total_parts IS DISTINCT FROM (d.rec ->> 'conversation_total_parts')::int;
SELECT method, rows_upserted = :expected_parts AS upserted_as_expected, rows_upserted > 50 AS whole_conversations,
       rows_deleted
  FROM intercom_fdw.materialize('ic.conversation_parts', 'copies.conversation_parts');
SELECT pg_temp.diff('ic.conversation_parts', 'copies.conversation_parts') AS parts_differences;
SELECT count(*) AS stale_parts
  FROM copies.conversation_parts c
  JOIN dump d ON d.stream = 'conversation_parts' AND d.rec ->> 'id' = c.id
 WHERE c.conversation_updated_at IS DISTINCT FROM pg_temp.epoch(d.rec -> 'conversation_updated_at')
    OR c.conversation_total_parts IS DISTINCT FROM (d.rec ->> 'conversation_total_parts')::int;
-- (the reply's updated_at is the fake's clock in whole seconds)
SELECT count(*) = :parts_of_100007 AS still_500, bool_and(id <> :'oldest_of_100007') AS oldest_gone,
       count(*) FILTER (WHERE updated_at >= date_trunc('second', :'parts_bookmark'::timestamptz)) AS new_parts
  FROM copies.conversation_parts WHERE conversation_id = '100007';
SELECT count(*) AS parts_in_copy, min(conversation_total_parts) = max(conversation_total_parts) AS one_total,
       min(conversation_total_parts) = count(*) AS total_is_count
  FROM copies.conversation_parts WHERE conversation_id = '100001';

-- 4. A failure mid-run (HTTP 500 until retries are exhausted) leaves the copy
--    and the state exactly as they were.  CALL materialize_run commits the
--    failed run's sync_log row, with the error's SQLSTATE, message, detail
--    and hint, then raises the error again.  No dblink is installed.
SELECT count(*) AS dblink_installed FROM pg_extension WHERE extname = 'dblink';
SELECT pg_temp.fingerprint('copies.contacts') AS copy_before \gset
SELECT s::text AS state_before FROM intercom_fdw.sync_state s WHERE target = 'copies.contacts' \gset
SELECT max(id) AS log_before FROM intercom_fdw.sync_log \gset
\! python3 test/fakectl.py mutate contacts --count 3
\! python3 test/fakectl.py fault 500 --count 20 --path /contacts
CALL intercom_fdw.materialize_run('ic.contacts', 'copies.contacts');
\echo :LAST_ERROR_SQLSTATE
\! python3 test/fakectl.py faults-clear
SELECT pg_temp.fingerprint('copies.contacts') = :'copy_before' AS copy_unchanged,
       (SELECT s::text FROM intercom_fdw.sync_state s WHERE target = 'copies.contacts') = :'state_before' AS state_unchanged;
\x on
SELECT target, source, stream, status, method, error_sqlstate, error_message,
       regexp_replace(error_detail, 'request id [0-9a-f-]+', 'request id R') AS error_detail, error_hint,
       requests, retries, rows_read, rows_upserted IS NULL AS nothing_written,
       bookmark_from IS NOT NULL AS has_bookmark_from, bookmark_to IS NULL AS no_new_bookmark,
       finished_at >= started_at AS timed, error_context LIKE '%intercom_fdw._run%' AS has_context
  FROM intercom_fdw.sync_log WHERE id > :log_before ORDER BY id;
\x off
-- the function form raises the same error; its transaction rolls back, and
-- the failed run's log row with it (documented)
SELECT max(id) AS log_before FROM intercom_fdw.sync_log \gset
\! python3 test/fakectl.py fault 500 --count 20 --path /contacts
SELECT * FROM intercom_fdw.materialize('ic.contacts', 'copies.contacts');
\echo :LAST_ERROR_SQLSTATE
\! python3 test/fakectl.py faults-clear
SELECT count(*) AS rows_logged FROM intercom_fdw.sync_log WHERE id > :log_before;
-- CALL where a COMMIT is not allowed fails at once, before reading anything
\! python3 test/fakectl.py log-clear
BEGIN;
CALL intercom_fdw.materialize_run('ic.contacts', 'copies.contacts');
ROLLBACK;
\! python3 test/fakectl.py count
-- (a cancel during a slow response is a failure too: timeouts.sql)
-- once Intercom answers again, the next run catches up; CALL shows the result
CALL intercom_fdw.materialize_run('ic.contacts', 'copies.contacts') \gset run_
SELECT :'run_method' AS method, :run_rows_upserted >= 5 AS caught_up, :run_requests > 0 AS used_the_api;
SELECT pg_temp.diff('ic.contacts', 'copies.contacts') AS differences;
SELECT status, method, rows_upserted = :run_rows_upserted AS as_returned FROM intercom_fdw.sync_log ORDER BY id DESC LIMIT 1;

-- 4b. The same for a role that is not a superuser: its own user mapping
--     (here with a token Intercom refuses: HTTP 401) and the grants
--     docs/materialize.md lists.  Its failed run is logged too.
CREATE ROLE regress_ic_mat;
GRANT USAGE ON FOREIGN SERVER fake TO regress_ic_mat;
GRANT USAGE ON SCHEMA ic TO regress_ic_mat;
GRANT SELECT ON ic.tags TO regress_ic_mat;
GRANT USAGE, CREATE ON SCHEMA copies TO regress_ic_mat;
GRANT USAGE ON SCHEMA intercom_fdw TO regress_ic_mat;
GRANT SELECT, INSERT, UPDATE, DELETE ON intercom_fdw.sync_state TO regress_ic_mat;
GRANT SELECT, INSERT ON intercom_fdw.sync_log TO regress_ic_mat;
SET log_statement = 'none';
CREATE USER MAPPING FOR regress_ic_mat SERVER fake OPTIONS (token 'tok_good_for_nothing');
RESET log_statement;
SET ROLE regress_ic_mat;
SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user;
SELECT max(id) AS log_before FROM intercom_fdw.sync_log \gset
CALL intercom_fdw.materialize_run('ic.tags', 'copies.tags_mine');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
\x on
SELECT target, source, stream, status, method, error_sqlstate, error_message,
       regexp_replace(error_detail, 'request id [0-9a-f-]+', 'request id R') AS error_detail, error_hint,
       requests, retries, rows_upserted IS NULL AS nothing_written
  FROM intercom_fdw.sync_log WHERE id > :log_before ORDER BY id;
\x off
SELECT to_regclass('copies.tags_mine') IS NULL AS no_copy,
       NOT EXISTS (SELECT FROM intercom_fdw.sync_state WHERE target = 'copies.tags_mine') AS no_state;
-- a role that may not write sync_log still sees its run's own error first
REVOKE INSERT ON intercom_fdw.sync_log FROM regress_ic_mat;
SET ROLE regress_ic_mat;
CALL intercom_fdw.materialize_run('ic.tags', 'copies.tags_mine');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT INSERT ON intercom_fdw.sync_log TO regress_ic_mat;
-- with a good token, the role's run succeeds and owns its copy
SET log_statement = 'none';
ALTER USER MAPPING FOR regress_ic_mat SERVER fake OPTIONS (SET token 'tok_test_2');
RESET log_statement;
SET ROLE regress_ic_mat;
CALL intercom_fdw.materialize_run('ic.tags', 'copies.tags_mine') \gset run_
RESET ROLE;
SELECT :'run_method' AS method, :run_rows_upserted > 0 AS copied,
       pg_temp.diff('ic.tags', 'copies.tags_mine') AS differences,
       (SELECT relowner::regrole FROM pg_class WHERE oid = 'copies.tags_mine'::regclass) AS owner;
SELECT target, status FROM intercom_fdw.sync_log WHERE id > :log_before ORDER BY id;
-- and a later failure (HTTP 500) of that role leaves its copy and state as they were
SELECT pg_temp.fingerprint('copies.tags_mine') AS copy_before \gset
SELECT s::text AS state_before FROM intercom_fdw.sync_state s WHERE target = 'copies.tags_mine' \gset
\! python3 test/fakectl.py fault 500 --count 20 --path /tags
SET ROLE regress_ic_mat;
CALL intercom_fdw.materialize_run('ic.tags', 'copies.tags_mine');
RESET ROLE;
\! python3 test/fakectl.py faults-clear
SELECT pg_temp.fingerprint('copies.tags_mine') = :'copy_before' AS copy_unchanged,
       (SELECT s::text FROM intercom_fdw.sync_state s WHERE target = 'copies.tags_mine') = :'state_before' AS state_unchanged;
SELECT status, method, error_sqlstate, error_message, error_hint IS NOT NULL AS has_hint
  FROM intercom_fdw.sync_log ORDER BY id DESC LIMIT 1;

-- 5. Two runs on one copy serialize: the second waits for the first to
--    commit, then continues from its bookmark.  (dblink is the second
--    session here, nothing more.)
CREATE EXTENSION dblink;
SELECT dblink_connect('other', format('dbname=%s host=%s port=%s', current_database(),
                      split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port')));
SELECT dblink_exec('other', 'SET intercom_fdw.progress = off');
BEGIN;
SELECT method, rows_upserted FROM intercom_fdw.materialize('ic.conversations', 'copies.conversations_2');
SELECT dblink_send_query('other', $$SELECT method, rows_upserted, rows_deleted
                                     FROM intercom_fdw.materialize('ic.conversations', 'copies.conversations_2')$$);
DO $$
BEGIN
    FOR i IN 1..400 LOOP
        EXIT WHEN EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND NOT granted);
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT count(*) AS runs_waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted;
COMMIT;
SELECT method, rows_deleted FROM dblink_get_result('other') AS r(method text, rows_upserted bigint, rows_deleted bigint);
SELECT * FROM dblink_get_result('other') AS r(method text, rows_upserted bigint, rows_deleted bigint);
-- both started at once: both succeed, one loads, the other continues
SELECT dblink_send_query('other', $$SELECT method FROM intercom_fdw.materialize('ic.contacts', 'copies.contacts_2')$$);
SELECT method AS this_one FROM intercom_fdw.materialize('ic.contacts', 'copies.contacts_2') \gset
SELECT array_agg(m ORDER BY m) AS methods
  FROM (SELECT :'this_one' AS m UNION ALL SELECT method FROM dblink_get_result('other') AS r(method text)) x;
SELECT * FROM dblink_get_result('other') AS r(method text);
SELECT dblink_disconnect('other');
DROP EXTENSION dblink;
SELECT target, runs, pg_temp.diff('ic.contacts', 'copies.contacts_2') AS differences
  FROM intercom_fdw.sync_state WHERE target = 'copies.contacts_2';
SELECT runs, pg_temp.diff('ic.conversations', 'copies.conversations_2') AS differences
  FROM intercom_fdw.sync_state WHERE target = 'copies.conversations_2';

-- 6. Full streams: rows gone upstream are deleted and counted.
\set gone `python3 test/fakectl.py delete tags --count 2 --print-ids | tr '\n' ' '`
SELECT method, rows_upserted, rows_deleted, bookmark_from IS NULL AS read_whole
  FROM intercom_fdw.materialize('ic.tags', 'copies.tags');
SELECT count(*) AS deleted_still_in_copy FROM copies.tags WHERE id = ANY (string_to_array(btrim(:'gone'), ' '));
SELECT pg_temp.diff('ic.tags', 'copies.tags') AS differences;

-- 7. reset: the state is forgotten, the copy kept; the next run is a full
--    load that also drops what is not upstream.
INSERT INTO copies.contacts (id, name) VALUES ('not-in-intercom', 'stray');
SELECT intercom_fdw.reset('copies.contacts') AS forgot, intercom_fdw.reset('copies.contacts') AS again;
SELECT count(*) AS state_rows FROM intercom_fdw.sync_state WHERE target = 'copies.contacts';
SELECT method, rows_upserted, rows_deleted, bookmark_from IS NULL AS read_whole
  FROM intercom_fdw.materialize('ic.contacts', 'copies.contacts');
SELECT pg_temp.diff('ic.contacts', 'copies.contacts') AS differences;
-- full_refresh does the same without forgetting
SELECT method, rows_upserted, rows_deleted
  FROM intercom_fdw.materialize('ic.contacts', 'copies.contacts', full_refresh => true);
-- an unqualified target is in the current schema
SET search_path = copies, public;
SELECT target, method FROM intercom_fdw.materialize('ic.contacts', 'contacts');
RESET search_path;

-- 8. The server's start_date bounds a first load of an incremental stream.
ALTER SERVER fake OPTIONS (ADD start_date '2026-01-01T00:00:00Z');
SELECT count(*) AS expected_recent FROM dump
 WHERE stream = 'contacts' AND pg_temp.epoch(rec -> 'updated_at') >= '2026-01-01T00:00:00Z' \gset
\! python3 test/fakectl.py log-clear
SELECT method, bookmark_from = '2026-01-01T00:00:00Z' AS from_start_date,
       rows_upserted = :expected_recent AS upserted_as_expected, rows_upserted < 123 AS fewer_than_all
  FROM intercom_fdw.materialize('ic.contacts', 'copies.contacts_recent');
\! python3 test/fakectl.py log | grep -c '^POST /contacts/search 200 .*"field":"updated_at"'
SELECT count(*) = :expected_recent AS copy_as_expected FROM copies.contacts_recent;
ALTER SERVER fake OPTIONS (DROP start_date);

-- 9. Moving from Stitch: import tap-intercom's state, continue from it;
--    export the state in the same shape.  (reconcile => false: the empty
--    copy stands for what Stitch loaded; a reconciliation would fill it.)
SELECT intercom_fdw.import_state('copies.contacts_stitch', 'ic.contacts',
    '{"currently_syncing": null,
      "bookmarks": {"contacts": {"updated_at": "2024-01-01T00:00:00Z"},
                    "conversations": {"updated_at": "2024-02-01T00:00:00.000000Z"}}}')
    = '2024-01-01T00:00:00Z' AS imported;
SELECT intercom_fdw.export_state('copies.contacts_stitch');
SELECT target, source, stream, replication, last_method, runs, rows IS NULL AS no_rows_yet
  FROM intercom_fdw.sync_state WHERE target = 'copies.contacts_stitch';
SELECT count(*) AS expected_since_stitch FROM dump
 WHERE stream = 'contacts'
   AND pg_temp.epoch(rec -> 'updated_at') >= timestamptz '2024-01-01T00:00:00Z' - interval '1 day 1 hour' \gset
SELECT method, bookmark_from = timestamptz '2024-01-01T00:00:00Z' - interval '1 day 1 hour' AS from_stitch_bookmark,
       rows_upserted = :expected_since_stitch AS upserted_as_expected, rows_upserted < 123 AS not_everything
  FROM intercom_fdw.materialize('ic.contacts', 'copies.contacts_stitch', reconcile => false);
-- round trip: export, import into another target, export again
SELECT intercom_fdw.import_state('copies.conversations_stitch', 'ic.conversations',
                                 intercom_fdw.export_state('copies.conversations')) IS NOT NULL AS imported;
SELECT intercom_fdw.export_state('copies.conversations_stitch') = intercom_fdw.export_state('copies.conversations')
       AS round_trip;
-- a whole-state export: one bookmark per incremental stream, in tap-intercom's shape
SELECT jsonb_object_keys(intercom_fdw.export_state() -> 'bookmarks') AS stream ORDER BY 1;
SELECT jsonb_path_query(intercom_fdw.export_state(), '$.bookmarks.*.updated_at') #>> '{}'
       ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$' AS iso_bookmark
 LIMIT 1;
-- an epoch number is accepted too; full streams and missing streams are refused
SELECT intercom_fdw.import_state('copies.x', 'ic.contacts', '{"bookmarks": {"contacts": {"updated_at": 1704067200}}}')
       = '2024-01-01T00:00:00Z' AS epoch_ok;
SELECT intercom_fdw.reset('copies.x');
SELECT intercom_fdw.import_state('copies.x', 'ic.tags', '{"bookmarks": {"tags": {"updated_at": "2024-01-01"}}}');
SELECT intercom_fdw.import_state('copies.x', 'ic.contacts', '{"bookmarks": {"companies": {"updated_at": "2024-01-01"}}}');

-- 10. Mistakes are refused before anything is read (and, with CALL,
--     logged like any failure).
CREATE TABLE copies.not_foreign (id text);
SELECT * FROM intercom_fdw.materialize('copies.not_foreign', 'copies.y');
CALL intercom_fdw.materialize_run('copies.not_foreign', 'copies.y');
SELECT * FROM intercom_fdw.materialize('ic.tags', 'copies.contacts');
CALL intercom_fdw.materialize_run('ic.tags', 'copies.contacts');
CREATE TABLE copies.no_key (id text, name text, type text);
CALL intercom_fdw.materialize_run('ic.tags', 'copies.no_key');
CALL intercom_fdw.materialize_run('ic.tags', 'a.b.c');
SELECT status, error_sqlstate, count(*) FROM intercom_fdw.sync_log
 WHERE target IN ('copies.y', 'copies.contacts', 'copies.no_key', 'a.b.c') AND status = 'failed'
 GROUP BY 1, 2 ORDER BY 1, 2;

-- 11. Progress NOTICEs, per phase; SET intercom_fdw.progress = off silences them.
SET intercom_fdw.progress = on;
SELECT intercom_fdw._progress('copies.contacts', 'read', 3000, 1500, 20);
SET intercom_fdw.progress = off;
SELECT intercom_fdw._progress('copies.contacts', 'read', 3000, 1500, 20);

-- 11b. A key that is not unique upstream is reported, not hidden: a table
--      whose id column reads the contact's role has two records per key.
--      The first load (straight into the new copy, keyed after) keeps one
--      row per key, the newest, as when a record is read twice.
CREATE FOREIGN TABLE ic.contacts_by_role (id text OPTIONS (path 'role'), email text,
                                          updated_at timestamptz)
    SERVER fake OPTIONS (stream 'contacts');
SELECT method, rows_upserted FROM intercom_fdw.materialize('ic.contacts_by_role', 'copies.contacts_by_role');
SELECT count(*) AS one_row_per_key,
       count(*) FILTER (WHERE c.updated_at = (SELECT max(s.updated_at) FROM ic.contacts_by_role s
                                               WHERE s.id = c.id)) AS newest_kept,
       (SELECT count(DISTINCT id) FROM ic.contacts_by_role) AS keys
  FROM copies.contacts_by_role c;
SELECT pg_get_constraintdef(k.oid) AS key FROM pg_constraint k
 WHERE k.conrelid = 'copies.contacts_by_role'::regclass AND k.contype = 'p';
DROP FOREIGN TABLE ic.contacts_by_role;

SET client_min_messages = warning;
DROP SCHEMA copies CASCADE;
DROP OWNED BY regress_ic_mat CASCADE;
DROP ROLE regress_ic_mat;
RESET client_min_messages;
