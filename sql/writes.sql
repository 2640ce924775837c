-- Writes: INSERT, UPDATE and DELETE through the foreign tables (src/modify.c,
-- the write map in src/write_map.c), against the fake's write endpoints
-- (test/fake_writes.py).  Every write of issue 23's table, the refusals at
-- plan time, the requests each row sends (the fake's log), faults during a
-- write (429, 500, timeouts before and after the server acted, a dropped
-- connection) and a statement that fails part way.
\i sql/include/setup.sql
SET timezone = 'UTC';
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS w_custom, w_copies CASCADE;
RESET client_min_messages;
\! python3 test/fakectl.py config rate_window_seconds=1
SELECT min(id) AS c1, max(id) AS c2 FROM ic.contacts \gset
SELECT id AS co1 FROM ic.companies ORDER BY id LIMIT 1 \gset

-- 1. Off until asked: read-only by default, the catalog says so, and a
--    write is refused at plan time (EXPLAIN too), before any request.
SELECT table_name, is_insertable_into FROM information_schema.tables
 WHERE table_schema = 'ic' AND table_name IN ('contact_tags', 'contacts', 'tags') ORDER BY 1;
\! python3 test/fakectl.py log-clear
INSERT INTO ic.contact_tags (contact_id, tag_id) VALUES (:'c1', '105');
EXPLAIN (COSTS OFF) UPDATE ic.contacts SET name = 'x' WHERE id = :'c1';
\! python3 test/fakectl.py count
-- the options are validated
ALTER SERVER fake OPTIONS (ADD updatable 'maybe');
ALTER FOREIGN TABLE ic.contacts OPTIONS (ADD allow_delete 'sure');
ALTER SERVER fake OPTIONS (ADD admin_id 'admin-1');
CREATE USER MAPPING FOR PUBLIC SERVER fake OPTIONS (updatable 'true');
ALTER SERVER fake OPTIONS (ADD updatable 'true');
-- a table's own option wins over the server's
ALTER FOREIGN TABLE ic.teams OPTIONS (ADD updatable 'false');
SELECT table_name, is_insertable_into FROM information_schema.tables
 WHERE table_schema = 'ic' AND table_name IN ('contact_tags', 'contacts', 'tags', 'teams') ORDER BY 1;
SELECT c.relname, pg_relation_is_updatable(c.oid, false) AS events
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'ic' AND c.relname IN ('admins', 'companies', 'contact_tags', 'contacts', 'conversations', 'tags', 'teams', 'tickets')
 ORDER BY 1;

-- refusals, each naming the table or column, with a hint
INSERT INTO ic.admins (id) VALUES ('1');
DELETE FROM ic.teams;
UPDATE ic.contacts SET created_at = now() WHERE id = :'c1';
UPDATE ic.contacts SET companies = '{}' WHERE id = :'c1';
UPDATE ic.contact_tags SET tag_id = '101' WHERE contact_id = :'c1';
DELETE FROM ic.contacts WHERE id = :'c1';
INSERT INTO ic.tags (id, name) VALUES ('1', 'x');
INSERT INTO ic.contact_tags (contact_id) VALUES (:'c1');
INSERT INTO ic.contact_tags (id, contact_id, tag_id) VALUES ('x', :'c1', '101');
INSERT INTO ic.companies (name) VALUES ('No company_id');
UPDATE ic.companies SET company_id = 'x' WHERE id = :'co1';
INSERT INTO ic.conversation_tags (conversation_id, tag_id) VALUES ('100000', '101');
UPDATE ic.conversations SET state = 'closed' WHERE id = '100000';
COPY ic.tags (name) FROM stdin;
Copied
\.
\! python3 test/fakectl.py count

-- 2. Link tables.  contact_tags: POST /contacts/{id}/tags {id}, one per row;
--    RETURNING gives the link's id as the table's rows have it.
\! python3 test/fakectl.py log-clear
INSERT INTO ic.contact_tags (contact_id, tag_id) VALUES (:'c1', '105') RETURNING id = :'c1' || '/105' AS id_ok, tag_id;
\! python3 test/fakectl.py log
SELECT tag_id FROM ic.contact_tags WHERE contact_id = :'c1' ORDER BY tag_id;
-- the contact's updated_at moved: the write is visible to search and copies
SELECT updated_at > now() - interval '1 minute' AS contact_touched FROM ic.contacts WHERE id = :'c1';
-- attaching what is attached changes nothing (and is harmless to repeat)
INSERT INTO ic.contact_tags (contact_id, tag_id) VALUES (:'c1', '105');
SELECT count(*) FROM ic.contact_tags WHERE contact_id = :'c1' AND tag_id = '105';
-- a tag that does not exist: Intercom's 404, nothing written
INSERT INTO ic.contact_tags (contact_id, tag_id) VALUES (:'c1', '999');
-- DELETE: DELETE /contacts/{id}/tags/{tag_id}
\! python3 test/fakectl.py log-clear
DELETE FROM ic.contact_tags WHERE contact_id = :'c1' AND tag_id = '105' RETURNING tag_id;
\! python3 test/fakectl.py log | grep -v '^GET\|^POST /contacts/search'
SELECT count(*) AS still_tagged FROM ic.contact_tags WHERE contact_id = :'c1' AND tag_id = '105';

-- tag a whole query's contacts: one request per row, and a NOTICE at the end
-- of a long statement with the request count
\! python3 test/fakectl.py log-clear
INSERT INTO ic.contact_tags (contact_id, tag_id) SELECT id, '111' FROM ic.contacts;
\! python3 test/fakectl.py count --path /contacts/
SELECT count(*) AS tagged_111, (SELECT count(*) FROM ic.contacts) AS contacts
  FROM ic.contact_tags WHERE tag_id = '111';

-- contact_companies: POST /contacts/{id}/companies {id}, DELETE .../companies/{company_id}
\! python3 test/fakectl.py log-clear
INSERT INTO ic.contact_companies (contact_id, company_id) VALUES (:'c2', :'co1');
DELETE FROM ic.contact_companies WHERE contact_id = :'c1' AND company_id IN
  (SELECT company_id FROM ic.contact_companies WHERE contact_id = :'c1' ORDER BY 1 LIMIT 1);
\! python3 test/fakectl.py log | grep -v '^GET\|^POST /contacts/search'
SELECT count(*) AS linked FROM ic.contact_companies WHERE contact_id = :'c2' AND company_id = :'co1';

-- conversation_tags: with the admin_id option (here the user mapping's)
ALTER USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (ADD admin_id '991267400');
\! python3 test/fakectl.py log-clear
INSERT INTO ic.conversation_tags (conversation_id, tag_id) VALUES ('100000', '103'), ('100001', '103');
DELETE FROM ic.conversation_tags WHERE conversation_id = '100001' AND tag_id = '103';
\! python3 test/fakectl.py log | grep -v '^GET\|^POST /conversations/search' | sort
SELECT conversation_id FROM ic.conversation_tags WHERE tag_id = '103' AND conversation_id IN ('100000', '100001');
-- an admin that does not exist: Intercom's 404
ALTER USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (SET admin_id '1');
INSERT INTO ic.conversation_tags (conversation_id, tag_id) VALUES ('100002', '103');
ALTER USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (SET admin_id '991267400');

-- tags: POST /tags {name}; RETURNING is the tag as Intercom answered it
INSERT INTO ic.tags (name) VALUES ('Written by SQL') RETURNING *;
SELECT id, name FROM ic.tags WHERE name = 'Written by SQL';

-- 3. UPDATE contacts: PUT /contacts/{id} with only the columns that change;
--    a row that does not change sends nothing.
\! python3 test/fakectl.py log-clear
UPDATE ic.contacts SET name = 'Renamed', unsubscribed_from_emails = true, owner_id = '991267401'
 WHERE id = :'c1' RETURNING name, unsubscribed_from_emails, owner_id, updated_at > now() - interval '1 minute' AS touched;
UPDATE ic.contacts SET name = 'Renamed', phone = phone WHERE id = :'c1';
\! python3 test/fakectl.py log | grep -v '^GET'
-- custom attribute columns (IMPORT ... custom_attributes 'true')
CREATE SCHEMA w_custom;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, companies) FROM SERVER fake INTO w_custom
  OPTIONS (custom_attributes 'true');
\! python3 test/fakectl.py log-clear
UPDATE w_custom.contacts SET seats = 12, is_vip = true, "Plan Tier" = 'pro', trial_ends = '2027-01-02 03:04:05+00'
 WHERE id = :'c2' RETURNING seats, is_vip, "Plan Tier", trial_ends;
\! python3 test/fakectl.py log | grep '^PUT'
-- a custom attribute Intercom does not let a client write (api_writable
-- false) is refused at plan time (one GET /data_attributes, only for a
-- statement that sets custom attribute columns); so is a column naming an
-- attribute Intercom does not have
\! python3 test/fakectl.py attribute contact seats --api-writable false
\! python3 test/fakectl.py log-clear
UPDATE w_custom.contacts SET seats = 13 WHERE id = :'c2';
ALTER FOREIGN TABLE w_custom.contacts ADD COLUMN gone text OPTIONS (path 'custom_attributes.gone');
UPDATE w_custom.contacts SET gone = 'x' WHERE id = :'c2';
\! python3 test/fakectl.py log
\! python3 test/fakectl.py attribute contact seats --api-writable true
-- a value Intercom refuses (an owner that is no admin): its 400, and the account
UPDATE ic.contacts SET owner_id = '12345' WHERE id = :'c1';

-- companies: PUT /companies/{id}; INSERT is POST /companies, an upsert by company_id
\! python3 test/fakectl.py log-clear
UPDATE w_custom.companies SET name = 'Renamed Co', monthly_spend = 12.5, paid_subscriber = true WHERE id = :'co1'
RETURNING name, monthly_spend, paid_subscriber;
INSERT INTO ic.companies (company_id, name, website) VALUES ('sql-1', 'Made in SQL', 'https://sql.example.com')
RETURNING company_id, name, website, created_at > now() - interval '1 minute' AS created_now;
INSERT INTO ic.companies (company_id, name) VALUES ('sql-1', 'Made in SQL, again') RETURNING company_id, name;
\! python3 test/fakectl.py log | grep -v '^GET'
SELECT count(*), min(name) FROM ic.companies WHERE company_id = 'sql-1';

-- tickets: PUT /tickets/{id}; ticket_state_id through a column with that path
ALTER FOREIGN TABLE ic.tickets ADD COLUMN ticket_state_id text OPTIONS (path 'ticket_state.id');
SELECT id AS t1, ticket_state_id AS t1_state FROM ic.tickets WHERE id = '631' \gset
SELECT s->>'id' AS t1_new_state FROM ic.tickets t, jsonb_array_elements(t.ticket_type->'ticket_states'->'data') s
 WHERE t.id = '631' AND s->>'id' <> :'t1_state' ORDER BY 1 LIMIT 1 \gset
\! python3 test/fakectl.py log-clear
UPDATE ic.tickets SET ticket_state_id = :'t1_new_state', is_shared = NOT is_shared, admin_assignee_id = '991267402'
 WHERE id = '631' RETURNING ticket_state_id = :'t1_new_state' AS state_moved, admin_assignee_id;
\! python3 test/fakectl.py log | grep '^PUT'
UPDATE ic.tickets SET ticket_state_id = 'no-such-state' WHERE id = '631';

-- conversations: state and assignment are parts, sent only for a real change
-- (100001 is closed already: closing it again sends nothing); the rest PUT
\! python3 test/fakectl.py log-clear
UPDATE ic.conversations SET state = 'closed' WHERE id IN ('100000', '100001') RETURNING id, state, open;
\! python3 test/fakectl.py log | grep -v '^GET\|^POST /conversations/search'
\! python3 test/fakectl.py log-clear
UPDATE ic.conversations SET admin_assignee_id = '991267403', team_assignee_id = '5017691', title = 'Assigned by SQL', read = true
 WHERE id = '100003' RETURNING admin_assignee_id, team_assignee_id, title, read;
UPDATE ic.conversations SET state = 'snoozed', snoozed_until = '2027-03-01 00:00:00+00'
 WHERE id = '100000' RETURNING state, snoozed_until;
UPDATE ic.conversations SET state = 'open' WHERE id = '100000' RETURNING state, snoozed_until;
\! python3 test/fakectl.py log | grep -v '^GET\|^POST /conversations/search'
SELECT part_type FROM ic.conversation_parts WHERE conversation_id = '100000'
 ORDER BY created_at DESC, id DESC LIMIT 3;
UPDATE ic.conversations SET state = 'snoozed' WHERE id = '100004';
UPDATE ic.conversations SET state = 'pending' WHERE id = '100004';

-- DELETE FROM contacts: irreversible, so only with allow_delete
ALTER FOREIGN TABLE ic.contacts OPTIONS (ADD allow_delete 'true');
\! python3 test/fakectl.py log-clear
DELETE FROM ic.contacts WHERE id = :'c2' RETURNING id = :'c2' AS deleted;
\! python3 test/fakectl.py log | grep '^DELETE'
SELECT count(*) AS left FROM ic.contacts WHERE id = :'c2';

-- EXPLAIN shows the request each row sends; ANALYZE the requests made
EXPLAIN (COSTS OFF) INSERT INTO ic.contact_tags (contact_id, tag_id) VALUES (:'c1', '101');
EXPLAIN (COSTS OFF) UPDATE ic.conversations SET state = 'open' WHERE id = '100001';
\i sql/include/explain.sql
SELECT * FROM pg_temp.explain_analyze(format('UPDATE ic.contacts SET name = %L WHERE id = %L', 'Explained', :'c1'));
SELECT * FROM pg_temp.explain_analyze(format('UPDATE ic.contacts SET name = %L WHERE id = %L', 'Explained', :'c1'));

-- 4. Faults.  A 429 is waited out; a PUT or an attach that fails (500, a
--    lost connection, a timeout after the server acted) is sent again.
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault 429 --path /contacts/ --method PUT
\! python3 test/fakectl.py fault 500 --path /contacts/ --method PUT
UPDATE ic.contacts SET name = 'After 429 and 500' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py log | grep '^PUT' | cut -d' ' -f1-3
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault drop --path /contacts/ --method POST
INSERT INTO ic.contact_tags (contact_id, tag_id) VALUES (:'c1', '106');
\! python3 test/fakectl.py log | grep '^POST /contacts/.*/tags' | cut -d' ' -f1-3
ALTER SERVER fake OPTIONS (ADD timeout_ms '700');
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault slow --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'After a timeout' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py log | grep '^PUT' | cut -d' ' -f1-2
-- a DELETE resent after a lost answer finds nothing: the first one did it,
-- and the row is gone as asked
\! python3 test/fakectl.py log-clear
SELECT id AS c3 FROM ic.contacts WHERE id <> :'c1' ORDER BY id LIMIT 1 \gset
\! python3 test/fakectl.py fault drop --path /contacts/ --method DELETE
DELETE FROM ic.contacts WHERE id = :'c3';
SELECT count(*) AS left FROM ic.contacts WHERE id = :'c3';
\! python3 test/fakectl.py log | grep '^DELETE' | cut -d' ' -f1-3

-- a creating request whose outcome is unknown is never sent again: the
-- statement fails saying so, and how to check.  Timed out after the
-- server acted (slow): the tag exists; before it acted (stall): it does not.
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault slow --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('Timed out after'), ('Never tried');
\! python3 test/fakectl.py fault stall --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('Timed out before');
\! python3 test/fakectl.py fault 500 --path /tags --method POST
INSERT INTO ic.tags (name) VALUES ('Answered 500');
-- (one request each: the answer of a timed-out one may still be on its way)
\! python3 test/fakectl.py log | grep '^POST /tags' | cut -d' ' -f1-2
SELECT name FROM ic.tags WHERE name IN ('Timed out after', 'Never tried', 'Timed out before', 'Answered 500') ORDER BY 1;
-- a conversation part is a creating request too
\! python3 test/fakectl.py fault drop --path /conversations/100005/parts --method POST
UPDATE ic.conversations SET state = 'closed' WHERE id = '100005';
\! python3 test/fakectl.py log | grep '^POST /conversations/100005/parts' | cut -d' ' -f1-3
SELECT state FROM ic.conversations WHERE id = '100005';
ALTER SERVER fake OPTIONS (DROP timeout_ms);

-- Every injectable fault against both kinds of write (gzip_bomb aside: a
-- body over the limit is never retried, for any kind).  A PUT is retried
-- after each and succeeds; a creating POST /tags is waited out after a 429
-- (refused before being served) and otherwise never resent: whether the
-- tag exists then shows whether the server acted before the failure.
ALTER SERVER fake OPTIONS (ADD timeout_ms '700');
\set VERBOSITY terse
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault 429 --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix 429' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault 500 --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix 500' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault 502_html --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix 502_html' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault 503_json --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix 503_json' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault drop --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix drop' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault slow --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix slow' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault stall --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix stall' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault truncated --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix truncated' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault empty --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix empty' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault html_200 --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix html_200' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault bad_json --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix bad_json' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py fault bad_gzip --path /contacts/ --method PUT --delay-ms 1500
UPDATE ic.contacts SET name = 'matrix bad_gzip' WHERE id = :'c1' RETURNING name;
\! python3 test/fakectl.py log | grep -c '^PUT /contacts/'
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault 429 --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix 429');
\! python3 test/fakectl.py fault 500 --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix 500');
\! python3 test/fakectl.py fault 502_html --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix 502_html');
\! python3 test/fakectl.py fault 503_json --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix 503_json');
\! python3 test/fakectl.py fault drop --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix drop');
\! python3 test/fakectl.py fault slow --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix slow');
\! python3 test/fakectl.py fault stall --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix stall');
\! python3 test/fakectl.py fault truncated --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix truncated');
\! python3 test/fakectl.py fault empty --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix empty');
\! python3 test/fakectl.py fault html_200 --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix html_200');
\! python3 test/fakectl.py fault bad_json --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix bad_json');
\! python3 test/fakectl.py fault bad_gzip --path /tags --method POST --delay-ms 1500
INSERT INTO ic.tags (name) VALUES ('matrix bad_gzip');
\! python3 test/fakectl.py log | grep -c '^POST /tags'
SELECT name FROM ic.tags WHERE name LIKE 'matrix %' ORDER BY 1;
\set VERBOSITY default
ALTER SERVER fake OPTIONS (DROP timeout_ms);

-- 5. A statement that fails part way: row 3's PUT keeps failing; the error
--    says how many rows were written and which row failed.  (One request
--    at a time, write_concurrency 1, so that row 3 is the third request.)
ALTER SERVER fake OPTIONS (ADD write_concurrency '1');
SELECT array_agg(id ORDER BY id) AS five FROM (SELECT id FROM ic.contacts ORDER BY id LIMIT 5) x \gset
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py fault 500 --path /contacts/ --method PUT --after 2 --count 10
UPDATE ic.contacts SET name = 'Part way' WHERE id = ANY (:'five') ;
\! python3 test/fakectl.py faults-clear
SELECT count(*) FILTER (WHERE name = 'Part way') AS written FROM ic.contacts WHERE id = ANY (:'five');
ALTER SERVER fake OPTIONS (DROP write_concurrency);

-- Concurrent writes: without RETURNING, PUTs, attaches, detaches and
-- deletes go in a window of write_concurrency requests (the server option,
-- 8 by default; not `concurrency`, the reads' ceiling), all answered before
-- the statement ends.
\! python3 test/fakectl.py config latency_ms=50
\! python3 test/fakectl.py log-clear
SELECT * FROM pg_temp.explain_analyze($$
  UPDATE ic.contacts SET name = 'In the window ' || id WHERE role = 'lead'$$);
\! python3 test/fakectl.py log | grep -c '^PUT /contacts/.* 200'
SELECT count(*) FILTER (WHERE name = 'In the window ' || id) AS renamed, count(*) AS leads
  FROM ic.contacts WHERE role = 'lead';
-- faster than one after another: 8 at a time
SELECT clock_timestamp() AS t0 \gset
UPDATE ic.contacts SET name = 'Again in the window ' || id WHERE role = 'lead';
SELECT clock_timestamp() - :'t0'::timestamptz < interval '50 ms' * (SELECT count(*) FROM ic.contacts WHERE role = 'lead')
  AS faster_than_sequential;
-- the window is write_concurrency's alone: with concurrency 1 (reads one
-- request at a time) and write_concurrency 3, the 30 PUTs go 3 at a time
-- (the fake may count one more for a moment: it counts a request in flight
-- until its handler returns, a moment after the answer is written)
ALTER SERVER fake OPTIONS (ADD concurrency '1', ADD write_concurrency '3');
\! python3 test/fakectl.py stats-clear
SELECT * FROM pg_temp.explain_analyze($$
  UPDATE ic.contacts SET name = 'Three at a time ' || id WHERE role = 'lead'$$)
  WHERE "QUERY PLAN" ~ 'Concurrent Requests|Rows Written';
\! python3 test/fakectl.py stats | python3 -c "import json, sys; n = json.load(sys.stdin)['max_in_flight']; print('3 at a time:', 3 <= n <= 4)"
ALTER SERVER fake OPTIONS (DROP concurrency, DROP write_concurrency);
-- a failure in the window fails the statement, naming the rows still under
-- way (which row fails first depends on the order of the answers: the
-- ids are masked)
\! python3 test/fakectl.py fault 500 --path /contacts/ --method PUT --count 200
DO $$
DECLARE d text;
BEGIN
  UPDATE ic.contacts SET name = 'Failing in the window' WHERE role = 'lead';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RAISE NOTICE '%', regexp_replace(regexp_replace(d, '[0-9a-f]{24}', '<id>', 'g'),
                                   'request id [0-9a-f-]+', 'request id <id>');
END $$;
\! python3 test/fakectl.py faults-clear
\! python3 test/fakectl.py config latency_ms=0

-- 6. Copies see it: after a write, the next incremental materialize reads
--    the change (the record's updated_at moved).
CREATE SCHEMA w_copies;
SET client_min_messages = warning;
SELECT method FROM intercom_fdw.materialize('ic.contacts', 'w_copies.contacts');
UPDATE ic.contacts SET name = 'Seen by the copy' WHERE id = :'c1';
CALL intercom_fdw.materialize_run('ic.contacts', 'w_copies.contacts') \gset run_
SELECT :'run_method' AS method, :run_rows_upserted >= 1 AS upserted;
RESET client_min_messages;
SELECT name FROM w_copies.contacts WHERE id = :'c1';

-- the token never appears in what a failed write reports
\! python3 test/fakectl.py log | grep -c tok_test_1

-- leave nothing behind for the suites that share this database
SET client_min_messages = warning;
SELECT intercom_fdw.reset('w_copies.contacts');
DELETE FROM intercom_fdw.sync_log WHERE target = 'w_copies.contacts';
DROP SCHEMA w_custom, w_copies CASCADE;
RESET client_min_messages;
