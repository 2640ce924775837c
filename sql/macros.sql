-- macros (issue 21): GET /macros (API 2.16), cursor-paged newest first,
-- updated_since as the listing's lower bound on updated_at, so that a copy
-- reads only what changed; dates arrive as ISO strings.
\i sql/include/setup.sql
\i sql/include/try.sql
SET timezone = 'UTC';
SET intercom_fdw.progress = off;
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS mac, mac_copy, mac14 CASCADE;
DROP SERVER IF EXISTS fake16 CASCADE;
RESET client_min_messages;
-- 2.16, and small pages so that the cursor is followed (13 macros, 4 a page)
CREATE SERVER fake16 FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (api_url :'fake_url', api_version '2.16', per_page '4', retry_base_ms '10', max_retries '3');
CREATE USER MAPPING FOR CURRENT_USER SERVER fake16 OPTIONS (token 'tok_test_1');
CREATE SCHEMA mac;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (macros) FROM SERVER fake16 INTO mac;
-- the columns, types and order docs/tables.md gives
CREATE TEMP TABLE doc_columns(table_name text, column_name text, type_name text, position int);
\copy doc_columns FROM PROGRAM 'awk -F"|" ''/^## /{t=$0; sub(/^## /,"",t); n=0; next} t!="" && /^\| *[a-z_]+ *\| *[a-z]+ *\|/ {c=$2; ty=$3; gsub(/ /,"",c); gsub(/ /,"",ty); if (c=="column") next; n++; print t "\t" c "\t" ty "\t" n}'' docs/tables.md'
SELECT count(*) AS differences FROM (
  (SELECT column_name, type_name::regtype::text, position FROM doc_columns WHERE table_name = 'macros'
   EXCEPT SELECT attname::text, format_type(atttypid, atttypmod), attnum::int FROM pg_attribute
           WHERE attrelid = 'mac.macros'::regclass AND attnum > 0 AND NOT attisdropped)
  UNION ALL
  (SELECT attname::text, format_type(atttypid, atttypmod), attnum::int FROM pg_attribute
    WHERE attrelid = 'mac.macros'::regclass AND attnum > 0 AND NOT attisdropped
   EXCEPT SELECT column_name, type_name::regtype::text, position FROM doc_columns WHERE table_name = 'macros')) d;

CREATE TEMP TABLE raw_macros(r jsonb);
\copy raw_macros FROM PROGRAM 'python3 test/fakectl.py dump macros' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_macros AS SELECT
    r->>'id' AS id, r->'available_on' AS available_on, r->>'body' AS body, r->>'body_text' AS body_text,
    (r->>'created_at')::timestamptz AS created_at, r->>'name' AS name, r->>'type' AS type,
    (r->>'updated_at')::timestamptz AS updated_at, r->>'visible_to' AS visible_to,
    r->'visible_to_team_ids' AS visible_to_team_ids, '{}'::jsonb AS _extra
  FROM raw_macros;

-- 1. A full scan: every macro, value for value, through every page.
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE got_macros AS SELECT * FROM mac.macros;
\! python3 test/fakectl.py log | sed 's/starting_after=[^& ]*/starting_after=.../'
SELECT (SELECT count(*) FROM got_macros) AS fdw_rows, (SELECT count(*) FROM raw_macros) AS fake_rows,
       (SELECT count(*) FROM (SELECT * FROM got_macros EXCEPT ALL SELECT * FROM exp_macros) x) AS fdw_not_in_fake,
       (SELECT count(*) FROM (SELECT * FROM exp_macros EXCEPT ALL SELECT * FROM got_macros) x) AS fake_not_in_fdw,
       (SELECT count(*) - count(DISTINCT updated_at) FROM got_macros) AS sharing_a_second;

-- count(*) skims the pages (records counted, not parsed): the same count
SELECT count(*) AS skimmed, count(id IS NULL) AS parsed FROM mac.macros;

-- 2. Bounds on updated_at become updated_since (a second earlier: it is
--    exclusive); PostgreSQL rechecks.  An upper bound is not sent.
--    The bound is exactly one macro's updated_at: >= keeps it, > does not.
EXPLAIN (COSTS OFF) SELECT id FROM mac.macros WHERE updated_at >= '2021-09-18 03:31:55+00';
\! python3 test/fakectl.py log-clear
SELECT count(*) AS at_or_after, (SELECT count(*) FROM exp_macros WHERE updated_at >= '2021-09-18 03:31:55+00') AS expected
  FROM mac.macros WHERE updated_at >= '2021-09-18 03:31:55+00';
SELECT count(*) AS after, (SELECT count(*) FROM exp_macros WHERE updated_at > '2021-09-18 03:31:55+00') AS expected
  FROM mac.macros WHERE updated_at > '2021-09-18 03:31:55+00';
\! python3 test/fakectl.py log | sed 's/starting_after=[^& ]*/starting_after=.../'
SELECT count(*) AS before_2022, (SELECT count(*) FROM exp_macros WHERE updated_at < '2022-01-01') AS expected
  FROM mac.macros WHERE updated_at < '2022-01-01';

-- 3. id = X is one GET /macros/X.
\! python3 test/fakectl.py log-clear
SELECT id, name IS NOT NULL AS named, visible_to FROM mac.macros WHERE id = '905';
\! python3 test/fakectl.py log

-- 4. A copy: the first run reads everything, the next only what changed
--    since its bookmark (minus the lookback), through updated_since.
CREATE SCHEMA mac_copy;
SELECT method, rows_upserted FROM intercom_fdw.materialize('mac.macros', 'mac_copy.macros');
SELECT replication FROM intercom_fdw.sync_state WHERE target = 'mac_copy.macros';
\! python3 test/fakectl.py log-clear
SELECT method, rows_upserted FROM intercom_fdw.materialize('mac.macros', 'mac_copy.macros');
\! python3 test/fakectl.py log | grep -c 'GET /macros?per_page=4&updated_since=[1-9]'
SELECT count(*) AS differences FROM (SELECT * FROM mac.macros EXCEPT SELECT * FROM mac_copy.macros) d;

-- 5. Before 2.16 Intercom has no macros: IMPORT leaves the table out (with a
--    NOTICE when it was asked for by name), and a table declared by hand
--    gets Intercom's error.
SELECT count(*) AS macros_in_ic FROM pg_class WHERE relnamespace = 'ic'::regnamespace AND relname = 'macros';
CREATE SCHEMA mac14;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (macros, tags) FROM SERVER fake INTO mac14;
SELECT relname FROM pg_class WHERE relnamespace = 'mac14'::regnamespace AND relkind = 'f' ORDER BY 1;
CREATE FOREIGN TABLE mac14.macros (id text) SERVER fake OPTIONS (stream 'macros');
SELECT * FROM ic_try('SELECT count(*) FROM mac14.macros');

SET client_min_messages = warning;
DROP SCHEMA mac, mac_copy, mac14 CASCADE;
DROP SERVER fake16 CASCADE;
SELECT intercom_fdw.reset('mac_copy.macros') AS state_forgotten;
DELETE FROM intercom_fdw.sync_log WHERE target LIKE 'mac\_copy.%';
