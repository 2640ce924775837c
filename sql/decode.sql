-- Decoding responses (issue #11).  Every valid JSON response decodes:
--  * numbers keep the exact digits sent (text, numeric, jsonb, json); a
--    declared bigint / integer / double precision column reads the number as
--    PostgreSQL reads its text ('<text>'::bigint ...), so a value that does not
--    fit is that row's error, naming stream, column, record id and value;
--  * strings PostgreSQL cannot store (\u0000, lone surrogates, invalid UTF-8)
--    get U+FFFD for each offending character, counted by EXPLAIN ANALYZE;
--    everything else (escapes, surrogate pairs, U+2028, emoji, RTL) is exact;
--  * duplicate keys: the last one wins, as in jsonb;
--  * hostile shapes (10,000 levels of nesting, a 10 MiB string, 1,000 keys)
--    read like any other record.
-- The data: the fake's exotic records (test/fake_intercom.py, EXOTIC_*;
-- `fakectl exotic on`), whose raw bytes are repeated in the tables below.
-- Every check compares with what PostgreSQL itself makes of the text sent,
-- and prints t (or, in the type matrix, the error PostgreSQL also raises).
\i sql/include/setup.sql
SET timezone = 'UTC';
SET intercom_fdw.progress = off;
-- a decoder that loops (companies scroll, before the fix) fails instead of hanging
SET statement_timeout = '30s';
\! python3 test/fakectl.py exotic on

-- the record ids and the JSON text of custom_attributes.seats, as the fake sends it
CREATE TEMP TABLE numbers (id text PRIMARY KEY, sent text NOT NULL);
INSERT INTO numbers VALUES
  ('exotic-c-n01', '18446744073709551617'),
  ('exotic-c-n02', '9223372036854775807'),
  ('exotic-c-n03', '9223372036854775808'),
  ('exotic-c-n04', '-9223372036854775808'),
  ('exotic-c-n05', '-9223372036854775809'),
  ('exotic-c-n06', '2147483648'),
  ('exotic-c-n07', '0.30000000000000004'),
  ('exotic-c-n08', '1.7976931348623157e308'),
  ('exotic-c-n09', '1.0e400'),
  ('exotic-c-n10', '1e-400'),
  ('exotic-c-n11', '123.4500'),
  ('exotic-c-n12', '123456789012345678901234567890123456789012345678901234567890'),
  ('exotic-c-n13', '-0.0'),
  ('exotic-c-n14', '1E+2');
-- the record ids, the string PostgreSQL must read from custom_attributes.name,
-- and how many characters became U+FFFD (raw JSON in comments)
CREATE TEMP TABLE strings (id text PRIMARY KEY, want text NOT NULL, replaced int NOT NULL);
INSERT INTO strings VALUES
  ('exotic-c-s01', 'a' || U&'\FFFD' || 'b', 1),                 -- "a\u0000b"
  ('exotic-c-s02', 'a' || U&'\FFFD' || 'b', 1),                 -- "a\ud800b"
  ('exotic-c-s03', 'a' || U&'\FFFD' || 'b', 1),                 -- "a\udc00b"
  ('exotic-c-s04', 'a' || U&'\FFFD' || 'Ab', 1),                -- "a\ud800\u0041b"
  ('exotic-c-s05', 'a' || U&'\FFFD', 1),                        -- "a\ud800"
  ('exotic-c-s06', U&'\FFFD\+01F600', 1),                       -- "\ud800\ud83d\ude00"
  ('exotic-c-s07', 'a' || U&'\FFFD' || 'b', 1),                 -- "a<FF>b"
  ('exotic-c-s08', 'a' || U&'\FFFD' || 'b', 1),                 -- "a<E2 82>b" (truncated)
  ('exotic-c-s09', 'a' || U&'\FFFD', 1),                        -- "a<E2 82>"
  ('exotic-c-s10', 'a' || U&'\FFFD\FFFD' || 'b', 2),            -- "a<C0 AF>b" (overlong)
  ('exotic-c-s11', 'a' || U&'\FFFD\FFFD\FFFD' || 'b', 3),       -- "a<ED A0 80>b" (UTF-8 of U+D800)
  ('exotic-c-s12', E'" \\ / \b \f \n \r \t', 0),                -- "\" \\ \/ \b \f \n \r \t"
  ('exotic-c-s13', U&'\00E9 \4E2D \+01F600 \2028 \2029', 0),    -- "\u00e9 \u4e2d \ud83d\ude00 \u2028 \u2029"
  ('exotic-c-s14', U&'\+01F600 \+01F469\200D\+01F4BB \2028\2029', 0),  -- the same characters unescaped
  ('exotic-c-s15', 'مرحبا بالعالم ' || U&'\200F' || 'שלום עולם', 0);  -- right-to-left, unescaped

CREATE FOREIGN TABLE dc (
  id text,
  name text,
  updated_at timestamptz,
  seats_text text OPTIONS (path 'custom_attributes.seats'),
  seats_numeric numeric OPTIONS (path 'custom_attributes.seats'),
  seats_bigint bigint OPTIONS (path 'custom_attributes.seats'),
  seats_integer integer OPTIONS (path 'custom_attributes.seats'),
  seats_float double precision OPTIONS (path 'custom_attributes.seats'),
  seats_jsonb jsonb OPTIONS (path 'custom_attributes.seats'),
  seats_json json OPTIONS (path 'custom_attributes.seats'),
  s_text text OPTIONS (path 'custom_attributes.name'),
  s_jsonb jsonb OPTIONS (path 'custom_attributes.name'),
  s_json json OPTIONS (path 'custom_attributes.name'),
  attrs jsonb OPTIONS (path 'custom_attributes'),
  attrs_json json OPTIONS (path 'custom_attributes'),
  attrs_text text OPTIONS (path 'custom_attributes'),
  whole jsonb OPTIONS (path '$')
) SERVER fake OPTIONS (stream 'contacts');

-- read(table, column, id): the column of record id, as text, read with
-- WHERE id = '<id>' (one GET /{stream}/{id}); or the error as
-- "ERROR sqlstate: message", and its context line in ctx
CREATE FUNCTION pg_temp.read(tbl text, col text, rid text, OUT val text, OUT ctx text)
LANGUAGE plpgsql AS $$
DECLARE
  st text;
  msg text;
BEGIN
  EXECUTE format('SELECT %I::text FROM %I WHERE id = %L', col, tbl, rid) INTO val;
  val := coalesce(val, '(null)');
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, ctx = PG_EXCEPTION_CONTEXT;
  val := 'ERROR ' || st || ': ' || msg;
  ctx := substring(ctx FROM '(column "[^\n]*)');
END $$;
-- postgres(text, type): PostgreSQL's own reading of that text as that type,
-- as text, or the error as "ERROR sqlstate: message"
CREATE FUNCTION pg_temp.postgres(sent text, typ text, OUT val text) LANGUAGE plpgsql AS $$
DECLARE
  st text;
  msg text;
BEGIN
  EXECUTE format('SELECT %L::%s::text', sent, typ) INTO val;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
  val := 'ERROR ' || st || ': ' || msg;
END $$;
-- explain_analyze(query, keys): the named properties of the query's foreign
-- scan, from EXPLAIN (ANALYZE, FORMAT JSON)
CREATE FUNCTION pg_temp.explain_analyze(q text, keys text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  j jsonb;
  k text;
  v jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q INTO j;
  FOREACH k IN ARRAY keys LOOP
    v := jsonb_path_query_first(j, ('strict $.**."' || k || '"')::jsonpath);
    RETURN NEXT k || ': ' || coalesce(v #>> '{}', '(absent)');
  END LOOP;
END $$;

-- ---------------------------------------------------------------------------
-- 1. Every record, through every way a record is served
-- ---------------------------------------------------------------------------
-- the listing (GET /contacts pages): 123 generated + 31 exotic records
CREATE TEMP TABLE scanned AS
  SELECT id, name, seats_text, seats_numeric, seats_jsonb, seats_json, s_text, s_jsonb, s_json,
         attrs, attrs_json, attrs_text, whole FROM dc;
SELECT count(*) AS rows, count(*) FILTER (WHERE id LIKE 'exotic-%') AS exotic FROM scanned;
-- count(*) (records counted, perhaps not parsed) agrees with queries that
-- read columns, and with the imported table
SELECT (SELECT count(*) FROM dc) AS count_star, (SELECT count(id) FROM dc) AS count_id,
       (SELECT count(attrs) FROM dc) AS count_attrs, (SELECT count(whole) FROM dc) AS count_whole,
       (SELECT count(*) FROM ic.contacts) AS ic_contacts;
-- contacts search (a pushed-down updated_at range that holds every exotic record)
EXPLAIN (COSTS OFF) SELECT id FROM dc WHERE updated_at >= '2023-11-14' AND updated_at < '2023-11-16';
CREATE TEMP TABLE searched AS
  SELECT id, seats_text, s_text, attrs FROM dc
  WHERE updated_at >= '2023-11-14' AND updated_at < '2023-11-16';
SELECT (SELECT count(*) FROM searched s JOIN numbers n USING (id) WHERE s.seats_text = n.sent) AS numbers_exact,
       (SELECT count(*) FROM searched s JOIN strings w USING (id) WHERE s.s_text = w.want) AS strings_exact,
       (SELECT count(*) FROM searched s JOIN scanned c USING (id) WHERE s.attrs = c.attrs
          AND s.id LIKE 'exotic-%') AS attrs_as_listed;
-- by id (GET /contacts/{id})
EXPLAIN (COSTS OFF) SELECT seats_text FROM dc WHERE id = 'exotic-c-n01';
SELECT seats_text FROM dc WHERE id = 'exotic-c-n01';

-- ---------------------------------------------------------------------------
-- 2. Numbers: the exact digits
-- ---------------------------------------------------------------------------
-- from the listing: text is the number as sent; numeric, jsonb and json are
-- what PostgreSQL makes of that text
SELECT n.id, n.sent,
       s.seats_text = n.sent AS text_exact,
       s.seats_numeric::text = n.sent::numeric::text AS numeric_exact,
       s.seats_jsonb::text = n.sent::jsonb::text AS jsonb_exact,
       s.seats_json::text = n.sent AS json_exact,
       s.attrs->'seats' = n.sent::jsonb AS in_attrs,
       s.attrs_json::jsonb->'seats' = n.sent::jsonb AS in_attrs_json,
       s.attrs_text::jsonb->'seats' = n.sent::jsonb AS in_attrs_text,
       s.whole->'custom_attributes'->'seats' = n.sent::jsonb AS in_whole
FROM numbers n LEFT JOIN scanned s USING (id) ORDER BY n.id;
-- the issue's two examples, spelled out
SELECT seats_jsonb = '0.30000000000000004'::jsonb AS "0.30000000000000004",
       seats_jsonb::text = '0.30000000000000004' AS as_text,
       seats_numeric = 0.30000000000000004 AS as_numeric
FROM scanned WHERE id = 'exotic-c-n07';
SELECT seats_jsonb = '1.7976931348623157e308'::jsonb AS "1.7976931348623157e308",
       seats_text = '1.7976931348623157e308' AS as_text,
       seats_numeric = 1.7976931348623157e308 AS as_numeric
FROM scanned WHERE id = 'exotic-c-n08';
SELECT seats_text = '18446744073709551617' AS "2^64+1", seats_numeric = 18446744073709551617::numeric AS as_numeric,
       attrs->'seats' = '18446744073709551617'::jsonb AS in_attrs
FROM scanned WHERE id = 'exotic-c-n01';
SELECT seats_numeric::text AS scale_kept, seats_jsonb::text AS jsonb_scale_kept
FROM scanned WHERE id = 'exotic-c-n11';

-- every value through every column type, by id: the column reads what
-- PostgreSQL reads from the text sent, value or error (then the error is
-- shown, with its context: stream, column, record id, value)
SELECT n.id, t.typ,
       r.val = pg_temp.postgres(n.sent, t.typ) AS same_as_postgres,
       CASE WHEN r.val LIKE 'ERROR %' THEN r.val END AS error,
       r.ctx AS context
FROM numbers n
CROSS JOIN (VALUES (1, 'text', 'seats_text'), (2, 'numeric', 'seats_numeric'), (3, 'bigint', 'seats_bigint'),
                   (4, 'integer', 'seats_integer'), (5, 'double precision', 'seats_float'),
                   (6, 'jsonb', 'seats_jsonb'), (7, 'json', 'seats_json')) AS t(k, typ, col)
CROSS JOIN LATERAL pg_temp.read('dc', t.col, n.id) r
ORDER BY n.id, t.k;

-- the narrow types' errors as a client sees them
SELECT seats_bigint FROM dc WHERE id = 'exotic-c-n01';
\echo :LAST_ERROR_SQLSTATE
SELECT seats_integer FROM dc WHERE id = 'exotic-c-n06';
\echo :LAST_ERROR_SQLSTATE
SELECT seats_float FROM dc WHERE id = 'exotic-c-n09';
\echo :LAST_ERROR_SQLSTATE
-- a full scan stops at the first such row, naming it
SELECT count(seats_bigint) FROM dc;
\echo :LAST_ERROR_SQLSTATE
-- and the rows that fit still read, and the backend carries on
SELECT id, seats_bigint, seats_float FROM dc WHERE id = 'exotic-c-n02';
SELECT id, seats_bigint, seats_float FROM dc WHERE id = 'exotic-c-n04';
SELECT 1 AS still_alive;

-- ---------------------------------------------------------------------------
-- 3. Strings: U+FFFD for what PostgreSQL cannot store, everything else exact
-- ---------------------------------------------------------------------------
SELECT w.id,
       s.s_text = w.want AS text_ok,
       s.s_jsonb = to_jsonb(w.want) AS jsonb_ok,
       s.s_json::jsonb = to_jsonb(w.want) AS json_ok,
       s.s_json #>> '{}' = w.want AS json_unescaped_ok,
       s.attrs->>'name' = w.want AS in_attrs,
       s.attrs_json->>'name' = w.want AS in_attrs_json,
       s.attrs_text::jsonb->>'name' = w.want AS in_attrs_text,
       s.whole->'custom_attributes'->>'name' = w.want AS in_whole,
       length(s.s_text) = length(w.want) AS same_length
FROM strings w LEFT JOIN scanned s USING (id) ORDER BY w.id;
-- the same by id, and the rest of the record is intact
SELECT w.id, r.val = w.want AS by_id_ok, r.ctx AS context,
       (pg_temp.read('dc', 'name', w.id)).val = 'Exotic ' || substr(w.id, 10) AS name_intact
FROM strings w CROSS JOIN LATERAL pg_temp.read('dc', 's_text', w.id) r ORDER BY w.id;
-- object keys are strings too: "n\u0000ul" and "f<FF>f"
SELECT attrs ? ('n' || U&'\FFFD' || 'ul') AS nul_key, attrs ? ('f' || U&'\FFFD' || 'f') AS ff_key,
       attrs = jsonb_build_object('n' || U&'\FFFD' || 'ul', 'v1', 'f' || U&'\FFFD' || 'f', 'v2', 'name', 'keys')
         AS attrs_ok,
       attrs_json::jsonb = attrs AS attrs_json_ok
FROM dc WHERE id = 'exotic-c-s16';
-- EXPLAIN ANALYZE counts the replaced characters
\i sql/include/explain.sql
SELECT * FROM pg_temp.explain_analyze($$SELECT s_text FROM dc WHERE id = 'exotic-c-s10'$$);
SELECT w.id, w.replaced,
       pg_temp.explain_analyze(format('SELECT s_text FROM dc WHERE id = %L', w.id),
                               ARRAY['Intercom Replaced Characters']) AS explain
FROM strings w ORDER BY w.id;
SELECT pg_temp.explain_analyze($$SELECT attrs FROM dc WHERE id = 'exotic-c-s16'$$,
                               ARRAY['Intercom Replaced Characters']) AS keys;
-- a whole scan: 16 = 1 x 9 + 2 + 3 (names) + 2 (keys); no other record needs one
SELECT pg_temp.explain_analyze('SELECT attrs FROM dc',
                               ARRAY['Intercom Rows Fetched', 'Intercom Replaced Characters']) AS whole_scan;
SELECT sum(replaced) + 2 AS expected FROM strings;

-- ---------------------------------------------------------------------------
-- 4. Duplicate keys: the last one wins, by path and inside jsonb
-- ---------------------------------------------------------------------------
-- record exotic-c-d01 is
--   {"name":"Dup first", ..., "name":"Dup last", ...,
--    "custom_attributes":{"seats":1,"name":"first","obj":{"x":1},"seats":2,
--                         "nested":{"k":"a","k":"b"},"obj":{"y":2},"name":"last"},
--    ..., "x_dup":{"a":1,"a":[2]}}
CREATE FOREIGN TABLE dd (
  id text,
  name text,
  seats numeric OPTIONS (path 'custom_attributes.seats'),      -- numeric: the listing holds 2^64+1
  seats_text text OPTIONS (path 'custom_attributes.seats'),
  cname text OPTIONS (path 'custom_attributes.name'),
  obj_x text OPTIONS (path 'custom_attributes.obj.x'),
  obj_y integer OPTIONS (path 'custom_attributes.obj.y'),
  obj jsonb OPTIONS (path 'custom_attributes.obj'),
  nested_k text OPTIONS (path 'custom_attributes.nested.k'),
  attrs jsonb OPTIONS (path 'custom_attributes'),
  attrs_json json OPTIONS (path 'custom_attributes'),
  x_dup jsonb,
  x_dup_a jsonb OPTIONS (path 'x_dup.a'),
  whole jsonb OPTIONS (path '$')
) SERVER fake OPTIONS (stream 'contacts');
\set dup_attrs '{"seats":1,"name":"first","obj":{"x":1},"seats":2,"nested":{"k":"a","k":"b"},"obj":{"y":2},"name":"last"}'
-- by id, and from the listing (id || '' is not pushed down)
SELECT how, name = 'Dup last' AS name_last, seats = 2 AS seats_last, seats_text = '2' AS seats_text_last,
       cname = 'last' AS cname_last, obj_x IS NULL AS obj_x_gone, obj_y = 2 AS obj_y,
       obj = '{"y":2}' AS obj_last, nested_k = 'b' AS nested_last,
       attrs = :'dup_attrs'::jsonb AS attrs_as_postgres,
       attrs_json::jsonb = :'dup_attrs'::jsonb AS attrs_json_as_postgres,
       x_dup = '{"a":1,"a":[2]}'::jsonb AS x_dup_as_postgres, x_dup_a = '[2]' AS x_dup_a_last,
       whole->>'name' = 'Dup last' AS whole_name_last,
       whole->'custom_attributes' = :'dup_attrs'::jsonb AS whole_attrs
FROM (SELECT 'by id' AS how, * FROM dd WHERE id = 'exotic-c-d01'
      UNION ALL SELECT 'listing', * FROM dd WHERE id || '' = 'exotic-c-d01') d
ORDER BY how;

-- ---------------------------------------------------------------------------
-- 5. Companies: the scroll, GET /companies?page=, by id, by company_id
-- ---------------------------------------------------------------------------
-- exotic-co-01: monthly_spend 0.30000000000000004, custom_attributes
--   team_mates 18446744073709551617 and monthly_spend 1.0e400
-- exotic-co-02: name "co\ud800name", "Plan Tier" "a\u0000b", "weird \"quote\"" "x<FF>y"
-- exotic-co-03: custom_attributes {"team_mates":1,"Plan Tier":"first","team_mates":3,"Plan Tier":"last"}
CREATE FOREIGN TABLE dco (
  id text,
  company_id text,
  name text,
  monthly_spend numeric,
  monthly_spend_text text OPTIONS (path 'monthly_spend'),
  team_mates_text text OPTIONS (path 'custom_attributes.team_mates'),
  team_mates_numeric numeric OPTIONS (path 'custom_attributes.team_mates'),
  team_mates_bigint bigint OPTIONS (path 'custom_attributes.team_mates'),
  spend_text text OPTIONS (path 'custom_attributes.monthly_spend'),
  spend_numeric numeric OPTIONS (path 'custom_attributes.monthly_spend'),
  spend_float double precision OPTIONS (path 'custom_attributes.monthly_spend'),
  plan_tier text OPTIONS (path 'custom_attributes.Plan Tier'),
  weird text OPTIONS (path 'custom_attributes.weird "quote"'),
  attrs jsonb OPTIONS (path 'custom_attributes')
) SERVER fake OPTIONS (stream 'companies');
-- every column but the two narrow ones, which fail on exotic-co-01 (below)
CREATE TEMP VIEW dco_wide AS
  SELECT id, company_id, name, monthly_spend, monthly_spend_text, team_mates_text, team_mates_numeric,
         spend_text, spend_numeric, plan_tier, weird, attrs FROM dco;
-- checks(how, row): one boolean per thing known about that exotic company
CREATE FUNCTION pg_temp.checks(how text, d dco_wide) RETURNS TABLE (how text, id text, ok boolean[])
LANGUAGE sql AS $$
  SELECT how, d.id, CASE d.id
    WHEN 'exotic-co-01' THEN ARRAY[
      d.monthly_spend = 0.30000000000000004, d.monthly_spend_text = '0.30000000000000004',
      d.team_mates_text = '18446744073709551617', d.team_mates_numeric = 18446744073709551617::numeric,
      d.spend_text = '1.0e400', d.spend_numeric = '1.0e400'::numeric,
      d.attrs->'team_mates' = '18446744073709551617'::jsonb, d.attrs->'monthly_spend' = '1.0e400'::jsonb]
    WHEN 'exotic-co-02' THEN ARRAY[
      d.name = 'co' || U&'\FFFD' || 'name', d.plan_tier = 'a' || U&'\FFFD' || 'b',
      d.weird = 'x' || U&'\FFFD' || 'y', d.attrs->>'Plan Tier' = 'a' || U&'\FFFD' || 'b',
      d.attrs->>'weird "quote"' = 'x' || U&'\FFFD' || 'y']
    WHEN 'exotic-co-03' THEN ARRAY[
      d.team_mates_text = '3', d.team_mates_numeric = 3, d.plan_tier = 'last',
      d.attrs = '{"team_mates":1,"Plan Tier":"first","team_mates":3,"Plan Tier":"last"}'::jsonb]
  END
$$;
-- the scroll (a whole scan): 37 + 3 rows
SELECT count(*) AS rows, count(*) FILTER (WHERE id LIKE 'exotic-%') AS exotic FROM dco_wide;
SELECT (pg_temp.checks('scroll', d)).* FROM dco_wide d WHERE id || '' LIKE 'exotic-%' ORDER BY 2;
-- a LIMIT that reaches the scan: GET /companies?page=
EXPLAIN (COSTS OFF) SELECT * FROM dco_wide LIMIT 1000;
SELECT (pg_temp.checks('page', d)).* FROM (SELECT * FROM dco_wide LIMIT 1000) d
WHERE id LIKE 'exotic-%' ORDER BY 2;
-- by id and by company_id
SELECT (pg_temp.checks('by id', d)).* FROM dco_wide d WHERE id = 'exotic-co-01';
SELECT (pg_temp.checks('by id', d)).* FROM dco_wide d WHERE id = 'exotic-co-02';
SELECT (pg_temp.checks('by id', d)).* FROM dco_wide d WHERE id = 'exotic-co-03';
SELECT (pg_temp.checks('by company_id', d)).* FROM dco_wide d WHERE company_id = 'exotic-co-02';
SELECT pg_temp.explain_analyze('SELECT name, attrs FROM dco',
                               ARRAY['Intercom Rows Fetched', 'Intercom Replaced Characters']) AS scroll;
-- narrow types over companies: the row's error (a whole scan that fails is
-- at the end: it leaves its scroll open)
SELECT team_mates_bigint FROM dco WHERE id = 'exotic-co-01';
\echo :LAST_ERROR_SQLSTATE
SELECT spend_float FROM dco WHERE id = 'exotic-co-01';
\echo :LAST_ERROR_SQLSTATE
SELECT team_mates_bigint FROM dco WHERE id = 'exotic-co-03';

-- ---------------------------------------------------------------------------
-- 5b. A conversation (999000001) and its part: title "T\ud800itle",
--     custom_attributes "Ticket Ref" "T-<FF>" and csat 18446744073709551617;
--     part 999000001001 (GET /conversations/{id}) has body "<p>a\u0000b</p>"
-- ---------------------------------------------------------------------------
CREATE FOREIGN TABLE dcv (
  id text,
  title text,
  ticket_ref text OPTIONS (path 'custom_attributes.Ticket Ref'),
  csat_text text OPTIONS (path 'custom_attributes.csat'),
  csat_numeric numeric OPTIONS (path 'custom_attributes.csat'),
  attrs jsonb OPTIONS (path 'custom_attributes')
) SERVER fake OPTIONS (stream 'conversations');
SELECT how, id, title = 'T' || U&'\FFFD' || 'itle' AS title_ok, ticket_ref = 'T-' || U&'\FFFD' AS ticket_ref_ok,
       csat_text = '18446744073709551617' AS csat_text_ok, csat_numeric = 18446744073709551617::numeric AS csat_ok,
       attrs->'csat' = '18446744073709551617'::jsonb AS in_attrs
FROM (SELECT 'listing' AS how, * FROM dcv WHERE id || '' = '999000001'
      UNION ALL SELECT 'by id', * FROM dcv WHERE id = '999000001') c
ORDER BY how;
SELECT count(*) AS conversations, count(title) AS with_title FROM dcv;
SELECT id, conversation_id, body = '<p>a' || U&'\FFFD' || 'b</p>' AS body_ok
FROM ic.conversation_parts WHERE conversation_id = '999000001';
SELECT count(*) AS parts, count(*) FILTER (WHERE conversation_id = '999000001') AS exotic_parts
FROM ic.conversation_parts;

-- ---------------------------------------------------------------------------
-- 6. IMPORT FOREIGN SCHEMA: integer and float attributes are numeric, and
--    the imported tables read every exotic row
-- ---------------------------------------------------------------------------
CREATE SCHEMA dimp;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, companies, conversations) FROM SERVER fake INTO dimp
  OPTIONS (custom_attributes 'true');
SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = 'dimp' AND column_name IN ('seats', 'score', 'team_mates', 'custom_monthly_spend', 'csat')
ORDER BY 1, 2;
CREATE TEMP TABLE imported_contacts AS SELECT * FROM dimp.contacts;
CREATE TEMP TABLE imported_companies AS SELECT * FROM dimp.companies;
CREATE TEMP TABLE imported_conversations AS SELECT * FROM dimp.conversations;
SELECT (SELECT count(*) FROM imported_contacts) AS contacts, (SELECT count(*) FROM imported_companies) AS companies,
       (SELECT count(*) FROM imported_conversations) AS conversations;
SELECT n.id, i.seats::text = n.sent::numeric::text AS seats_exact,
       i.custom_attributes->'seats' = n.sent::jsonb AS in_custom_attributes
FROM numbers n LEFT JOIN imported_contacts i USING (id) ORDER BY n.id;
SELECT count(*) AS strings, count(*) FILTER (WHERE i.custom_name = w.want) AS custom_name_ok,
       count(*) FILTER (WHERE i.custom_attributes->>'name' = w.want) AS in_custom_attributes
FROM strings w LEFT JOIN imported_contacts i USING (id);
SELECT id, seats, custom_name, custom_attributes = :'dup_attrs'::jsonb AS attrs_as_postgres
FROM imported_contacts WHERE id = 'exotic-c-d01';
SELECT id, team_mates = 18446744073709551617 AS team_mates_exact,
       custom_monthly_spend = '1.0e400'::numeric AS spend_exact,
       monthly_spend = 0.30000000000000004 AS standard_spend_exact
FROM imported_companies WHERE id = 'exotic-co-01';
SELECT id, name = 'co' || U&'\FFFD' || 'name' AS name_ok, "Plan Tier" = 'a' || U&'\FFFD' || 'b' AS plan_tier_ok
FROM imported_companies WHERE id = 'exotic-co-02';
SELECT id, csat = 18446744073709551617 AS csat_exact, "Ticket Ref" = 'T-' || U&'\FFFD' AS ticket_ref_ok,
       title = 'T' || U&'\FFFD' || 'itle' AS title_ok
FROM imported_conversations WHERE id = '999000001';

-- ---------------------------------------------------------------------------
-- 7. materialize copies the exotic rows as the foreign table reads them
-- ---------------------------------------------------------------------------
CREATE SCHEMA dcopies;
SELECT method, rows_upserted FROM intercom_fdw.materialize('ic.contacts', 'dcopies.contacts');
SELECT method, rows_upserted FROM intercom_fdw.materialize('ic.companies', 'dcopies.companies');
SELECT method, rows_upserted FROM intercom_fdw.materialize('dimp.contacts', 'dcopies.imp_contacts');
SELECT (SELECT count(*) FROM dcopies.contacts WHERE id LIKE 'exotic-%') AS exotic_contacts,
       (SELECT count(*) FROM ((SELECT * FROM ic.contacts EXCEPT ALL SELECT * FROM dcopies.contacts)
                              UNION ALL (SELECT * FROM dcopies.contacts EXCEPT ALL SELECT * FROM ic.contacts)) d)
         AS contacts_differences,
       (SELECT count(*) FROM dcopies.companies WHERE id LIKE 'exotic-%') AS exotic_companies,
       (SELECT count(*) FROM ((SELECT * FROM ic.companies EXCEPT ALL SELECT * FROM dcopies.companies)
                              UNION ALL (SELECT * FROM dcopies.companies EXCEPT ALL SELECT * FROM ic.companies)) d)
         AS companies_differences,
       (SELECT count(*) FROM ((SELECT * FROM imported_contacts EXCEPT ALL SELECT * FROM dcopies.imp_contacts)
                              UNION ALL (SELECT * FROM dcopies.imp_contacts EXCEPT ALL SELECT * FROM imported_contacts)) d)
         AS imported_differences;
SELECT c.custom_attributes = s.attrs AS copy_attrs_ok, c.name = 'Dup last' AS copy_name_ok
FROM dcopies.contacts c JOIN scanned s USING (id) WHERE id = 'exotic-c-d01';
SELECT count(*) AS copied_numbers_exact FROM dcopies.imp_contacts c JOIN numbers n USING (id)
WHERE c.seats::text = n.sent::numeric::text;

-- ---------------------------------------------------------------------------
-- 8. Hostile shapes: 10,000 levels of nesting (jsonb takes them, see below),
--    a 10 MiB string, 1,000 keys -- no crash, no error
-- ---------------------------------------------------------------------------
\! python3 test/fakectl.py exotic hostile
SELECT jsonb_typeof((repeat('[', 10000) || repeat(']', 10000))::jsonb) AS postgres_takes_10000_levels;
CREATE FOREIGN TABLE dh (
  id text,
  deep jsonb OPTIONS (path 'custom_attributes.deep'),
  deep_text text OPTIONS (path 'custom_attributes.deep'),
  deep_json json OPTIONS (path 'custom_attributes.deep'),
  x_deep jsonb,
  x_deep_10 jsonb OPTIONS (path 'x_deep.a.a.a.a.a.a.a.a.a.a'),
  big text OPTIONS (path 'custom_attributes.name'),
  big_jsonb jsonb OPTIONS (path 'custom_attributes.name'),
  attrs jsonb OPTIONS (path 'custom_attributes'),
  whole jsonb OPTIONS (path '$')
) SERVER fake OPTIONS (stream 'contacts');
\set deep_arrays '(repeat(\'[\', 10000) || repeat(\']\', 10000))::jsonb'
\set deep_objects '(repeat(\'{"a":\', 10000) || \'1\' || repeat(\'}\', 10000))::jsonb'
SELECT deep = :deep_arrays AS deep_ok, deep_text::jsonb = :deep_arrays AS deep_text_ok,
       deep_json::jsonb = :deep_arrays AS deep_json_ok, attrs->'deep' = :deep_arrays AS in_attrs,
       x_deep = :deep_objects AS x_deep_ok,
       x_deep_10 = (repeat('{"a":', 9990) || '1' || repeat('}', 9990))::jsonb AS x_deep_10_ok,
       whole->'x_deep' = :deep_objects AS in_whole
FROM dh WHERE id = 'exotic-c-h01';
SELECT length(big) AS big_length, big = repeat('x', 10485760) || U&'\00E9' AS big_ok,
       big_jsonb = to_jsonb(repeat('x', 10485760) || U&'\00E9') AS big_jsonb_ok,
       attrs->>'name' = big AS in_attrs
FROM dh WHERE id = 'exotic-c-h02';
SELECT (SELECT count(*) FROM jsonb_object_keys(attrs)) AS keys, attrs->'k0000' AS first, attrs->'k0999' AS last,
       attrs = (SELECT jsonb_object_agg(format('k%s', lpad(g::text, 4, '0')), g) FROM generate_series(0, 999) g)
         AS attrs_ok,
       whole->'custom_attributes' = attrs AS in_whole
FROM dh WHERE id = 'exotic-c-h03';
-- all three in the listing, in one scan
SELECT count(*) AS rows, count(deep) AS deep, count(x_deep) AS x_deep, max(length(big)) AS longest,
       max((SELECT count(*) FROM jsonb_object_keys(attrs))) AS most_keys
FROM dh;
SELECT count(*) FILTER (WHERE id LIKE 'exotic-%') AS hostile, count(*) AS rows FROM ic.contacts;
SELECT 1 AS still_alive;

-- ---------------------------------------------------------------------------
-- 9. jsonb is built straight from the decoded tree (src/jsonb_build.c): its
--    bytes must be exactly those PostgreSQL writes for the same text, for
--    every jsonb column of every imported table, with every exotic record
--    (big numbers, replacements, duplicate keys, nesting, 1,000 keys) served
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.jsonb_bytes(jsonb) RETURNS bytea
  AS 'intercom_fdw', 'intercom_fdw_jsonb_bytes' LANGUAGE C STRICT;
SELECT public.jsonb_bytes('{"b":1,"aa":[true,null,"x"],"a":{"k":2.50}}') =
       '\x030000200100008001000000020000001a0000500a000010110000506162616101000020010000800d0000106b000000280000000081020088130000200000000080010003000040000000b0000000400100000078'::bytea
  AS jsonb_bytes_reads_the_binary;
\! python3 test/fakectl.py exotic all
CREATE TEMP TABLE jsonb_differences (tbl text, col text, values_read bigint, different bigint);
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = 'ic' AND data_type = 'jsonb' ORDER BY 1, 2 LOOP
    EXECUTE format('INSERT INTO jsonb_differences SELECT %L, %L, count(%I),
                      count(*) FILTER (WHERE public.jsonb_bytes(%I) <> public.jsonb_bytes(%I::text::jsonb))
                    FROM ic.%I', c.table_name, c.column_name, c.column_name, c.column_name,
                   c.column_name, c.table_name);
  END LOOP;
END $$;
SELECT count(*) AS jsonb_columns, sum(values_read) > 5000 AS many_values,
       sum(different) AS different_bytes FROM jsonb_differences;
SELECT tbl, col, different FROM jsonb_differences WHERE different > 0;
-- and the hostile records' columns (whole records, 10,000 levels, 1,000 keys)
SELECT count(*) AS rows,
       count(*) FILTER (WHERE public.jsonb_bytes(whole) <> public.jsonb_bytes(whole::text::jsonb)
                           OR public.jsonb_bytes(attrs) <> public.jsonb_bytes(attrs::text::jsonb)
                           OR public.jsonb_bytes(big_jsonb) <> public.jsonb_bytes(big_jsonb::text::jsonb))
         AS different_bytes
FROM dh;
DROP FUNCTION public.jsonb_bytes(jsonb);

-- a whole companies scan that meets 2^64+1 in a bigint column fails on that row
\! python3 test/fakectl.py exotic on
SELECT count(team_mates_bigint) FROM dco;
\echo :LAST_ERROR_SQLSTATE

\! python3 test/fakectl.py exotic off
SELECT count(*) AS contacts_without_exotic FROM ic.contacts;
\! python3 test/fakectl.py reset
RESET statement_timeout;
SET client_min_messages = warning;
DROP SCHEMA dimp, dcopies CASCADE;
-- later suites list every copy: forget these
SELECT count(*) FILTER (WHERE intercom_fdw.reset(t)) AS copies_forgotten
FROM unnest(ARRAY['dcopies.contacts', 'dcopies.companies', 'dcopies.imp_contacts']) t;
DELETE FROM intercom_fdw.sync_log WHERE target LIKE 'dcopies.%';
RESET client_min_messages;
