-- IMPORT FOREIGN SCHEMA intercom: LIMIT TO, EXCEPT, other schemas, errors,
-- and custom data attributes as typed columns.
\i sql/include/setup.sql
SET timezone = 'UTC';
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS imp_limit, imp_except, imp_full, imp_custom, imp_custom16, imp_err CASCADE;
RESET client_min_messages;

-- what setup imported: eleven tables, each reading its own stream
SELECT c.relname AS table_name, ft.ftoptions, s.srvname, count(a.attnum) AS columns
FROM pg_class c
JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
JOIN pg_foreign_server s ON s.oid = ft.ftserver
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'ic'::regnamespace
GROUP BY c.relname, ft.ftoptions, s.srvname ORDER BY c.relname;
-- the columns, types and order are those documented in docs/tables.md
-- (read from the document itself: table, column, type, position)
CREATE TEMP TABLE doc_columns(table_name text, column_name text, type_name text, position int);
\copy doc_columns FROM PROGRAM 'awk -F"|" ''/^## /{t=$0; sub(/^## /,"",t); n=0; next} t!="" && /^\| *[a-z_]+ *\| *[a-z]+ *\|/ {c=$2; ty=$3; gsub(/ /,"",c); gsub(/ /,"",ty); if (c=="column") next; n++; print t "\t" c "\t" ty "\t" n}'' docs/tables.md'
-- macros exist from API 2.16 only, and this server uses 2.14: macros.sql
-- compares that table with the document
DELETE FROM doc_columns WHERE table_name = 'macros';
CREATE TEMP VIEW ic_columns AS
  SELECT c.relname::text AS table_name, a.attname::text AS column_name,
         format_type(a.atttypid, a.atttypmod) AS type_name, a.attnum::int AS position
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE c.relnamespace = 'ic'::regnamespace;
SELECT (SELECT count(*) FROM doc_columns) AS documented, (SELECT count(*) FROM ic_columns) AS imported;
SELECT 'only documented' AS side, * FROM (
  SELECT table_name, column_name, type_name::regtype::text, position FROM doc_columns
  EXCEPT SELECT * FROM ic_columns) d
UNION ALL
SELECT 'only imported', * FROM (
  SELECT * FROM ic_columns
  EXCEPT SELECT table_name, column_name, type_name::regtype::text, position FROM doc_columns) i
ORDER BY 1, 2, 5;
-- column options: only conversation_parts.assigned_to(_type) read another path
SELECT c.relname, a.attname, a.attfdwoptions
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE c.relnamespace = 'ic'::regnamespace AND a.attfdwoptions IS NOT NULL ORDER BY 1, 2;
-- and a few tables in full, as \d would show them
SELECT table_name, ordinal_position, column_name, data_type FROM information_schema.columns
WHERE table_schema = 'ic' AND table_name IN ('tags', 'teams', 'conversation_parts')
ORDER BY table_name, ordinal_position;

-- LIMIT TO and EXCEPT
CREATE SCHEMA imp_limit;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (tags, teams, no_such_table) FROM SERVER fake INTO imp_limit;
SELECT relname FROM pg_class WHERE relnamespace = 'imp_limit'::regnamespace ORDER BY 1;
SELECT id, name FROM imp_limit.teams ORDER BY id;
CREATE SCHEMA imp_except;
IMPORT FOREIGN SCHEMA intercom EXCEPT (contacts, conversation_parts) FROM SERVER fake INTO imp_except;
SELECT relname FROM pg_class WHERE relnamespace = 'imp_except'::regnamespace ORDER BY 1;
-- a second import into a schema that already has the table: it has every
-- column, so nothing is added and nothing fails (fields.sql adds columns)
SELECT count(*) AS tags_columns FROM pg_attribute WHERE attrelid = 'imp_limit.tags'::regclass AND attnum > 0;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (tags) FROM SERVER fake INTO imp_limit;
SELECT count(*) AS tags_columns FROM pg_attribute WHERE attrelid = 'imp_limit.tags'::regclass AND attnum > 0;

-- a full import into another schema gives the same tables as ic
CREATE SCHEMA imp_full;
IMPORT FOREIGN SCHEMA intercom FROM SERVER fake INTO imp_full;
SELECT count(*) AS columns_only_in_one FROM (
  (SELECT table_name, column_name, ordinal_position, data_type FROM information_schema.columns
   WHERE table_schema = 'ic'
   EXCEPT SELECT table_name, column_name, ordinal_position, data_type FROM information_schema.columns
   WHERE table_schema = 'imp_full')
  UNION ALL
  (SELECT table_name, column_name, ordinal_position, data_type FROM information_schema.columns
   WHERE table_schema = 'imp_full'
   EXCEPT SELECT table_name, column_name, ordinal_position, data_type FROM information_schema.columns
   WHERE table_schema = 'ic')) d;
SELECT (SELECT count(*) FROM imp_full.admins) AS admins, (SELECT count(*) FROM ic.admins) AS ic_admins;

-- errors
CREATE SCHEMA imp_err;
IMPORT FOREIGN SCHEMA public FROM SERVER fake INTO imp_err;
\echo :LAST_ERROR_SQLSTATE
IMPORT FOREIGN SCHEMA "Intercom" FROM SERVER fake INTO imp_err;
\echo :LAST_ERROR_SQLSTATE
IMPORT FOREIGN SCHEMA intercom FROM SERVER fake INTO imp_err OPTIONS (prefix 'ic_');
\echo :LAST_ERROR_SQLSTATE
IMPORT FOREIGN SCHEMA intercom FROM SERVER fake INTO imp_err OPTIONS (custom_attributes 'maybe');
\echo :LAST_ERROR_SQLSTATE
IMPORT FOREIGN SCHEMA intercom FROM SERVER fake INTO no_such_schema;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS tables_in_imp_err FROM pg_class WHERE relnamespace = 'imp_err'::regnamespace;
-- custom_attributes 'false' is a plain import
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts) FROM SERVER fake INTO imp_err
  OPTIONS (custom_attributes 'false');
SELECT count(*) AS columns FROM information_schema.columns
WHERE table_schema = 'imp_err' AND table_name = 'contacts';

-- ---------------------------------------------------------------------------
-- custom_attributes 'true': the workspace's custom data attributes become
-- typed columns reading custom_attributes.<name>; a name already taken gets
-- the prefix custom_.  integer and float attributes are numeric: Intercom
-- keeps any JSON number, and numeric holds every one exactly (sql/decode.sql
-- reads 2^64+1 and 1.0e400 through them)
-- ---------------------------------------------------------------------------
CREATE SCHEMA imp_custom;
\! python3 test/fakectl.py log-clear
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, companies, conversations, tags)
  FROM SERVER fake INTO imp_custom OPTIONS (custom_attributes 'true');
-- one GET /data_attributes per model (contact, company, and conversation
-- before API 2.16)
\! python3 test/fakectl.py log
SELECT c.table_name, c.ordinal_position, c.column_name, c.data_type,
       array_to_string(a.attfdwoptions, ',') AS options
FROM information_schema.columns c
JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass
                   AND a.attname = c.column_name
WHERE c.table_schema = 'imp_custom' AND c.table_name IN ('contacts', 'companies')
ORDER BY c.table_name, c.ordinal_position;
SELECT table_name, column_name, data_type FROM information_schema.columns c
WHERE table_schema = 'imp_custom' AND table_name IN ('conversations', 'tags')
  AND NOT EXISTS (SELECT 1 FROM information_schema.columns i WHERE i.table_schema = 'ic'
                  AND i.table_name = c.table_name AND i.column_name = c.column_name)
ORDER BY table_name, ordinal_position;
-- the standard columns are unchanged, in the same positions
SELECT count(*) AS standard_columns_changed FROM (
  SELECT table_name, column_name, ordinal_position, data_type FROM information_schema.columns
  WHERE table_schema = 'ic' AND table_name IN ('contacts', 'companies', 'conversations', 'tags')
  EXCEPT SELECT table_name, column_name, ordinal_position, data_type FROM information_schema.columns
  WHERE table_schema = 'imp_custom') d;

-- the custom columns read the same values as custom_attributes in the fake
CREATE TEMP TABLE raw_contacts(r jsonb);
\copy raw_contacts FROM PROGRAM 'python3 test/fakectl.py dump contacts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP TABLE raw_companies(r jsonb);
\copy raw_companies FROM PROGRAM 'python3 test/fakectl.py dump companies' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP TABLE raw_conversations(r jsonb);
\copy raw_conversations FROM PROGRAM 'python3 test/fakectl.py dump conversations' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP TABLE got_contacts AS
  SELECT id, "Plan Tier", "plan-tier", custom_name, "weird ""quote""", seats, score, is_vip,
         trial_ends, "ünïcode_ключ", "back\slash", name
  FROM imp_custom.contacts;
SELECT count(*) AS rows,
  count(*) FILTER (WHERE g.id IS NULL OR x.r IS NULL) AS unmatched,
  count(*) FILTER (WHERE g."Plan Tier" IS DISTINCT FROM x.r->'custom_attributes'->>'Plan Tier'
    OR g."plan-tier" IS DISTINCT FROM x.r->'custom_attributes'->>'plan-tier'
    OR g.custom_name IS DISTINCT FROM x.r->'custom_attributes'->>'name'
    OR g."weird ""quote""" IS DISTINCT FROM x.r->'custom_attributes'->>'weird "quote"'
    OR g.seats IS DISTINCT FROM (x.r->'custom_attributes'->>'seats')::numeric
    OR g.score IS DISTINCT FROM (x.r->'custom_attributes'->>'score')::numeric
    OR g.is_vip IS DISTINCT FROM (x.r->'custom_attributes'->>'is_vip')::boolean
    OR g.trial_ends IS DISTINCT FROM to_timestamp((x.r->'custom_attributes'->>'trial_ends')::bigint)
    OR g."ünïcode_ключ" IS DISTINCT FROM x.r->'custom_attributes'->>'ünïcode_ключ'
    OR g."back\slash" IS DISTINCT FROM x.r->'custom_attributes'->>'back\slash'
    OR g.name IS DISTINCT FROM x.r->>'name') AS mismatches,
  count(*) FILTER (WHERE g.custom_name IS NOT NULL) AS with_custom_name,
  count(*) FILTER (WHERE g.seats IS NOT NULL) AS with_seats
FROM got_contacts g FULL JOIN raw_contacts x ON x.r->>'id' = g.id;
SELECT id, name, custom_name, "Plan Tier", seats, score, is_vip, trial_ends
FROM got_contacts ORDER BY id LIMIT 6;
CREATE TEMP TABLE got_companies AS
  SELECT id, "Plan Tier", paid_subscriber, monthly_spend, custom_monthly_spend, team_mates,
         renewal_date, "weird ""quote"""
  FROM imp_custom.companies;
SELECT count(*) AS rows,
  count(*) FILTER (WHERE g.id IS NULL OR x.r IS NULL) AS unmatched,
  count(*) FILTER (WHERE g."Plan Tier" IS DISTINCT FROM x.r->'custom_attributes'->>'Plan Tier'
    OR g.paid_subscriber IS DISTINCT FROM (x.r->'custom_attributes'->>'paid_subscriber')::boolean
    OR g.custom_monthly_spend IS DISTINCT FROM (x.r->'custom_attributes'->>'monthly_spend')::numeric
    OR g.monthly_spend IS DISTINCT FROM (x.r->>'monthly_spend')::numeric
    OR g.team_mates IS DISTINCT FROM (x.r->'custom_attributes'->>'team_mates')::numeric
    OR g.renewal_date IS DISTINCT FROM to_timestamp((x.r->'custom_attributes'->>'renewal_date')::bigint)
    OR g."weird ""quote""" IS DISTINCT FROM x.r->'custom_attributes'->>'weird "quote"') AS mismatches,
  count(*) FILTER (WHERE g.custom_monthly_spend IS NOT NULL) AS with_custom_spend
FROM got_companies g FULL JOIN raw_companies x ON x.r->>'id' = g.id;
SELECT id, "Plan Tier", paid_subscriber, custom_monthly_spend, team_mates, renewal_date,
       "weird ""quote"""
FROM got_companies ORDER BY id LIMIT 6;
SELECT count(*) AS rows,
  count(*) FILTER (WHERE g."Ticket Ref" IS DISTINCT FROM x.r->'custom_attributes'->>'Ticket Ref'
    OR g.escalated IS DISTINCT FROM (x.r->'custom_attributes'->>'escalated')::boolean
    OR g.csat IS DISTINCT FROM (x.r->'custom_attributes'->>'csat')::numeric) AS mismatches,
  count(*) FILTER (WHERE g."Ticket Ref" IS NOT NULL) AS with_ticket_ref
FROM imp_custom.conversations g FULL JOIN raw_conversations x ON x.r->>'id' = g.id;

-- API 2.16 has no conversation data attributes: only contacts and companies
-- get custom columns
CREATE SERVER fake216 FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (api_url :'fake_url', api_version '2.16', retry_base_ms '10', max_retries '3');
CREATE USER MAPPING FOR CURRENT_USER SERVER fake216 OPTIONS (token 'tok_test_1');
CREATE SCHEMA imp_custom16;
\! python3 test/fakectl.py log-clear
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, companies, conversations)
  FROM SERVER fake216 INTO imp_custom16 OPTIONS (custom_attributes 'true');
\! python3 test/fakectl.py log
SELECT table_name, count(*) AS columns FROM information_schema.columns
WHERE table_schema = 'imp_custom16' GROUP BY 1 ORDER BY 1;

-- custom_attributes needs the token: without a user mapping, an error
DROP USER MAPPING FOR CURRENT_USER SERVER fake216;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts)
  FROM SERVER fake216 INTO imp_err OPTIONS (custom_attributes 'true');
\echo :LAST_ERROR_SQLSTATE
-- a plain import needs no request, so no token either
\! python3 test/fakectl.py log-clear
IMPORT FOREIGN SCHEMA intercom LIMIT TO (admins) FROM SERVER fake216 INTO imp_err;
\! python3 test/fakectl.py count

-- COMMENT ON every imported table and column: what it is, its key, its cost
SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c WHERE c.relnamespace = 'ic'::regnamespace ORDER BY 1;
SELECT count(*) AS columns, count(col_description(a.attrelid, a.attnum)) AS commented
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace IN ('ic'::regnamespace, 'imp_custom'::regnamespace) AND a.attnum > 0 AND NOT a.attisdropped;
SELECT c.relname, a.attname, col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'ic'::regnamespace AND (c.relname, a.attname) IN (
  ('contacts', 'id'), ('contacts', 'updated_at'), ('contacts', 'email'), ('conversations', 'created_at'),
  ('conversation_parts', 'assigned_to'), ('conversation_parts', 'conversation_id'),
  ('conversation_parts', 'conversation_updated_at'), ('conversation_parts', 'conversation_total_parts'),
  ('contact_tags', 'id'), ('contact_tags', 'tag_id'), ('contact_tags', 'contact_updated_at'),
  ('activity_logs', 'created_at'), ('companies', 'company_id'), ('tags', 'name'))
ORDER BY 1, 2;
-- a custom attribute column says where it reads
SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a WHERE a.attrelid = 'imp_custom.conversations'::regclass AND a.attname = 'Ticket Ref';
-- a table written by hand gets only the comments its author writes
CREATE FOREIGN TABLE imp_err.my_tags (id text, name text) SERVER fake OPTIONS (stream 'tags');
SELECT obj_description('imp_err.my_tags'::regclass, 'pg_class') IS NULL AS no_comment;

SET client_min_messages = warning;
DROP SCHEMA imp_limit, imp_except, imp_full, imp_custom, imp_custom16, imp_err CASCADE;
DROP SERVER fake216 CASCADE;
RESET client_min_messages;
