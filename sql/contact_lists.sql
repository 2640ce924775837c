-- A contact's notes and subscriptions: contact_notes reads GET
-- /contacts/{id}/notes of each contact whose inlined notes.total_count is
-- above 0, contact_subscriptions GET /contacts/{id}/subscriptions of every
-- contact (listings do not say which contacts have some).  Every row is
-- compared with the fake's own (EXCEPT ALL both ways); the fake's request
-- log shows what each scan costs: contact_id = X is one request, and a
-- contact without notes costs none.
\i sql/include/setup.sql
\i sql/include/explain.sql
SET timezone = 'UTC';
\i sql/include/try.sql

-- the tables and their comments, as IMPORT FOREIGN SCHEMA made them
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       col_description(c.oid, a.attnum) AS comment
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE c.relnamespace = 'ic'::regnamespace AND c.relname IN ('contact_notes', 'contact_subscriptions')
ORDER BY 1, a.attnum;
SELECT relname, obj_description(oid, 'pg_class') AS comment FROM pg_class
WHERE relnamespace = 'ic'::regnamespace AND relname IN ('contact_notes', 'contact_subscriptions')
ORDER BY 1;
SELECT stream, primary_key, incremental, request FROM intercom_fdw.streams()
WHERE stream IN ('contact_notes', 'contact_subscriptions') ORDER BY 1;

-- every row, against the fake's
CREATE TEMP TABLE raw_notes(r jsonb);
\copy raw_notes FROM PROGRAM 'python3 test/fakectl.py dump contact_notes' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_notes AS
SELECT r->>'id' AS id, r->'author' AS author, r->>'body' AS body, r->'company' AS company,
       r->'contact' AS contact, r->>'contact_id' AS contact_id,
       to_timestamp((r->>'created_at')::bigint) AS created_at, r->>'type' AS type,
       '{}'::jsonb AS _extra
FROM raw_notes;
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE got_notes AS SELECT * FROM ic.contact_notes;
SELECT 'contact_notes' AS stream,
  (SELECT count(*) FROM got_notes) AS fdw_rows,
  (SELECT count(*) FROM raw_notes) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_notes EXCEPT ALL SELECT * FROM exp_notes) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_notes EXCEPT ALL SELECT * FROM got_notes) x) AS fake_not_in_fdw;
-- its requests: the contacts listing, then one per contact with notes, none for the others
CREATE TEMP TABLE log_notes(line text);
\copy log_notes FROM PROGRAM 'python3 test/fakectl.py log | cut -d" " -f2' WITH (FORMAT text)
CREATE TEMP TABLE contacts AS SELECT id, (notes->>'total_count')::int AS notes FROM ic.contacts;
SELECT count(*) FILTER (WHERE line LIKE '/contacts?%') AS listing_pages,
       count(*) FILTER (WHERE line LIKE '/contacts/%/notes') AS notes_requests,
       count(*) AS requests,
       (SELECT count(*) FROM contacts WHERE notes > 0) AS contacts_with_notes,
       (SELECT count(*) FROM contacts WHERE notes = 0) AS contacts_without,
       (SELECT count(*) FROM contacts c JOIN log_notes l ON l.line = '/contacts/' || c.id || '/notes'
        WHERE c.notes = 0) AS asked_without_notes
FROM log_notes;

CREATE TEMP TABLE raw_subs(r jsonb);
\copy raw_subs FROM PROGRAM 'python3 test/fakectl.py dump contact_subscriptions' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_subs AS
SELECT r->>'id' AS id, r->>'consent_type' AS consent_type, r->>'contact_id' AS contact_id,
       r->'content_types' AS content_types, r->'default_translation' AS default_translation,
       r->>'state' AS state, r->>'subscription_type_id' AS subscription_type_id,
       r->'translations' AS translations, r->>'type' AS type, '{}'::jsonb AS _extra
FROM raw_subs;
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE got_subs AS SELECT * FROM ic.contact_subscriptions;
SELECT 'contact_subscriptions' AS stream,
  (SELECT count(*) FROM got_subs) AS fdw_rows,
  (SELECT count(*) FROM raw_subs) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_subs EXCEPT ALL SELECT * FROM exp_subs) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_subs EXCEPT ALL SELECT * FROM got_subs) x) AS fake_not_in_fdw;
-- one request per contact, whether it has subscriptions or not
CREATE TEMP TABLE log_subs(line text);
\copy log_subs FROM PROGRAM 'python3 test/fakectl.py log | cut -d" " -f2' WITH (FORMAT text)
SELECT count(*) FILTER (WHERE line LIKE '/contacts?%') AS listing_pages,
       count(*) FILTER (WHERE line LIKE '/contacts/%/subscriptions') AS subscription_requests,
       count(DISTINCT line) FILTER (WHERE line LIKE '/contacts/%/subscriptions') AS distinct_contacts,
       (SELECT count(*) FROM contacts) AS contacts,
       (SELECT count(DISTINCT contact_id) FROM got_subs) AS contacts_with_subscriptions
FROM log_subs;
-- what they are: opt_in types opted in to, opt_out types opted out of
SELECT subscription_type_id, consent_type, state, default_translation->>'name' AS name, count(*) AS contacts
FROM got_subs GROUP BY 1, 2, 3, 4 ORDER BY 1;

-- contact_id = X: one request, whatever the contact
SELECT c.id AS noted FROM contacts c WHERE c.notes > 1 ORDER BY c.id LIMIT 1 \gset
SELECT c.id AS unnoted FROM contacts c WHERE c.notes = 0 ORDER BY c.id LIMIT 1 \gset
SELECT contact_id AS both_types FROM got_subs GROUP BY 1 HAVING count(*) = 2 ORDER BY 1 LIMIT 1 \gset
\! python3 test/fakectl.py log-clear
SELECT id, contact_id, created_at, body, author->>'id' AS author_id, contact, company, _extra
FROM ic.contact_notes WHERE contact_id = :'noted' ORDER BY created_at DESC, id;
\! python3 test/fakectl.py log | cut -d' ' -f1,2
SELECT count(*) AS unnoted_rows FROM ic.contact_notes WHERE contact_id = :'unnoted';
\! python3 test/fakectl.py log | cut -d' ' -f1,2
\! python3 test/fakectl.py log-clear
SELECT * FROM ic.contact_subscriptions WHERE contact_id = :'both_types' ORDER BY id;
\! python3 test/fakectl.py log | cut -d' ' -f1,2
\! python3 test/fakectl.py log-clear
SELECT s.contact_id, s.subscription_type_id, s.consent_type
FROM ic.contact_subscriptions s WHERE s.contact_id IN (:'noted', :'unnoted', :'both_types') ORDER BY 1, 2;
\! python3 test/fakectl.py log | cut -d' ' -f1,2 | sort
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM ic.contact_subscriptions WHERE contact_id = :'both_types';
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM ic.contact_notes WHERE contact_id = :'noted';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM ic.contact_notes;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM ic.contact_subscriptions;
-- EXPLAIN ANALYZE counts the contacts skipped
SELECT * FROM pg_temp.explain_analyze('SELECT id FROM ic.contact_notes');
-- a join on the contact: one request per outer row
EXPLAIN (COSTS OFF)
SELECT c.email, s.subscription_type_id FROM ic.contacts c
JOIN ic.contact_subscriptions s ON s.contact_id = c.id WHERE c.id = :'both_types';
-- a value known only at execution: EXPLAIN shows its expression in the path
PREPARE notes_of(text) AS SELECT count(*) FROM ic.contact_notes WHERE contact_id = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE notes_of('x');
EXECUTE notes_of(:'noted');
RESET plan_cache_mode;
EXPLAIN (COSTS OFF)
SELECT c.email, n.id FROM ic.contacts c
JOIN ic.contact_notes n ON n.contact_id = c.id WHERE c.id IN (:'noted', :'both_types');
SELECT c.id = :'both_types' AS same, s.subscription_type_id FROM ic.contacts c
JOIN ic.contact_subscriptions s ON s.contact_id = c.id WHERE c.id = :'both_types' ORDER BY 2;

-- an unknown contact: Intercom's 404 is no row (as a deleted conversation's parts)
\! python3 test/fakectl.py log-clear
SELECT count(*) AS no_such_contact FROM ic.contact_subscriptions WHERE contact_id = '0000000000000000000000ff';
SELECT count(*) AS no_such_contact FROM ic.contact_notes WHERE contact_id = '0000000000000000000000ff';
\! python3 test/fakectl.py log | cut -d' ' -f1,2,3
-- a contact deleted between the listing and its request (404): its rows are
-- gone, the scan goes on, and EXPLAIN ANALYZE counts it
\setenv BOTH_TYPES :both_types
\! python3 test/fakectl.py fault 404 --path /contacts/$BOTH_TYPES/subscriptions
SELECT * FROM pg_temp.explain_analyze('SELECT id FROM ic.contact_subscriptions');
-- (the fake answered 404 once: read again, the contact's rows are back)
SELECT count(*) AS rows, count(*) FILTER (WHERE contact_id = :'both_types') AS contact_rows
FROM ic.contact_subscriptions;
-- an error Intercom keeps answering fails the query, saying which request
\! python3 test/fakectl.py fault 500 --path /contacts/ --method GET --count 20
SELECT ic_try(format('SELECT count(*) FROM ic.contact_subscriptions WHERE contact_id = %L', :'both_types'));
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py fault 500 --path /contacts/$BOTH_TYPES/notes --count 20
SELECT ic_try('SELECT count(*) FROM ic.contact_notes');
\! python3 test/fakectl.py faults-clear

-- more than a page of notes (50): the further pages by number
\setenv UNNOTED :unnoted
\! python3 test/fakectl.py many-notes $UNNOTED 120
\! python3 test/fakectl.py log-clear
SELECT count(*) AS notes, count(DISTINCT id) AS distinct_notes, min(body) AS a_body
FROM ic.contact_notes WHERE contact_id = :'unnoted';
\! python3 test/fakectl.py log | cut -d' ' -f1,2
CREATE TEMP TABLE raw_notes_many(r jsonb);
\copy raw_notes_many FROM PROGRAM 'python3 test/fakectl.py dump contact_notes' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT (SELECT count(*) FROM ic.contact_notes) AS fdw_rows, (SELECT count(*) FROM raw_notes_many) AS fake_rows,
  (SELECT count(*) FROM (SELECT id, contact_id FROM ic.contact_notes
                         EXCEPT ALL SELECT r->>'id', r->>'contact_id' FROM raw_notes_many) x) AS fdw_not_in_fake;
-- ANALYZE reads a bounded sample (300 rows at statistics target 1), not
-- every contact: with 400 notes on one contact, the sample fills early
\! python3 test/fakectl.py many-notes $UNNOTED 400
\! python3 test/fakectl.py log-clear
SET default_statistics_target = 1;
ANALYZE ic.contact_notes;
RESET default_statistics_target;
-- (how many: the sample's contacts, plus those of the window still in flight)
CREATE TEMP TABLE analyze_requests(n int);
\copy analyze_requests FROM PROGRAM 'python3 test/fakectl.py count --path /contacts/'
SELECT (SELECT count(*) FROM contacts WHERE notes > 0) + 1 AS contacts_with_notes,
       n < (SELECT count(*) FROM contacts WHERE notes > 0) AS fewer_requests
FROM analyze_requests;
\! python3 test/fakectl.py reset
-- reltuples and column statistics, as for the other tables
ANALYZE ic.contact_subscriptions;
SELECT relname, reltuples FROM pg_class
WHERE relnamespace = 'ic'::regnamespace AND relname IN ('contact_notes', 'contact_subscriptions') ORDER BY 1;
SELECT attname, n_distinct FROM pg_stats
WHERE schemaname = 'ic' AND tablename = 'contact_subscriptions' AND attname IN ('consent_type', 'subscription_type_id')
ORDER BY 1;

-- materialize: a full copy each run, equal to the source
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
SET intercom_fdw.progress = off;
DROP SCHEMA IF EXISTS cl_copies CASCADE;
RESET client_min_messages;
CREATE SCHEMA cl_copies;
SELECT m.target, m.method, m.rows_upserted
FROM unnest(ARRAY['contact_notes', 'contact_subscriptions']) t
CROSS JOIN LATERAL intercom_fdw.materialize(('ic.' || t)::regclass, 'cl_copies.' || t) m ORDER BY 1;
SELECT (SELECT count(*) FROM ((TABLE got_subs EXCEPT ALL TABLE cl_copies.contact_subscriptions)
        UNION ALL (TABLE cl_copies.contact_subscriptions EXCEPT ALL TABLE got_subs)) d) AS subscription_differences,
       (SELECT count(*) FROM ((TABLE got_notes EXCEPT ALL TABLE cl_copies.contact_notes)
        UNION ALL (TABLE cl_copies.contact_notes EXCEPT ALL TABLE got_notes)) d) AS note_differences;
DROP SCHEMA cl_copies CASCADE;
DELETE FROM intercom_fdw.sync_log WHERE target LIKE 'cl_copies.%';
DELETE FROM intercom_fdw.sync_state WHERE target LIKE 'cl_copies.%';
-- leave no dblink behind: materialize.sql creates its own
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dblink;
RESET client_min_messages;
