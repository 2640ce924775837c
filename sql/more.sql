-- The full-refresh streams beyond the first eleven: articles and help center
-- collections (page-numbered), subscription types, ticket types, and
-- conversation attributes (data_attributes?model=conversation before 2.16,
-- /conversations/attributes from 2.16).  Every column of every row equals
-- the fake's JSON converted independently (EXCEPT ALL both ways); paging,
-- single GETs by id and the version switch are checked on the request log.
\i sql/include/setup.sql
SET timezone = 'UTC';
SET client_min_messages = warning;
DROP SERVER IF EXISTS fake216 CASCADE;
DROP SCHEMA IF EXISTS ic16 CASCADE;
RESET client_min_messages;
\set fake_url `echo "$FAKE_URL"`
CREATE SERVER fake216 FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (api_url :'fake_url', api_version '2.16', retry_base_ms '10', max_retries '3');
CREATE USER MAPPING FOR CURRENT_USER SERVER fake216 OPTIONS (token 'tok_test_1');
CREATE SCHEMA ic16;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (conversation_attributes) FROM SERVER fake216 INTO ic16;

-- ---------------------------------------------------------------------------
-- Full value comparison
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE raw_articles(r jsonb);
\copy raw_articles FROM PROGRAM 'python3 test/fakectl.py dump articles' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_articles AS SELECT
    r->>'id' AS id,
    (r->>'ai_chatbot_availability')::boolean AS ai_chatbot_availability,
    (r->>'ai_copilot_availability')::boolean AS ai_copilot_availability,
    (r->>'ai_sales_agent_availability')::boolean AS ai_sales_agent_availability,
    r->>'author_id' AS author_id,
    r->>'body' AS body,
    r->>'body_markdown' AS body_markdown,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    r->>'created_by_id' AS created_by_id,
    r->>'default_locale' AS default_locale,
    r->>'description' AS description,
    to_timestamp((r->>'draft_updated_at')::bigint) AS draft_updated_at,
    (r->>'exclude_from_article_suggestions')::boolean AS exclude_from_article_suggestions,
    (r->>'has_unpublished_changes')::boolean AS has_unpublished_changes,
    r->>'help_center_audience' AS help_center_audience,
    nullif(r->'parent_ids', 'null') AS parent_ids,
    to_timestamp((r->>'scheduled_publish_at')::bigint) AS scheduled_publish_at,
    to_timestamp((r->>'scheduled_unpublish_at')::bigint) AS scheduled_unpublish_at,
    r->>'state' AS state,
    nullif(r->'tags', 'null') AS tags,
    r->>'title' AS title,
    nullif(r->'translated_content', 'null') AS translated_content,
    r->>'type' AS "type",
    to_timestamp((r->>'updated_at')::bigint) AS updated_at,
    r->>'updated_by_id' AS updated_by_id,
    r->>'url' AS url,
    r->>'workspace_id' AS workspace_id
  FROM raw_articles;
CREATE TEMP TABLE got_articles AS SELECT id, ai_chatbot_availability, ai_copilot_availability, ai_sales_agent_availability, author_id, body, body_markdown, created_at, created_by_id, default_locale, description, draft_updated_at, exclude_from_article_suggestions, has_unpublished_changes, help_center_audience, parent_ids, scheduled_publish_at, scheduled_unpublish_at, state, tags, title, translated_content, "type", updated_at, updated_by_id, url, workspace_id FROM ic.articles;
SELECT 'articles' AS stream,
  (SELECT count(*) FROM got_articles) AS fdw_rows,
  (SELECT count(*) FROM raw_articles) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_articles EXCEPT ALL SELECT * FROM exp_articles) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_articles EXCEPT ALL SELECT * FROM got_articles) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_help_center_collections(r jsonb);
\copy raw_help_center_collections FROM PROGRAM 'python3 test/fakectl.py dump help_center_collections' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_help_center_collections AS SELECT
    r->>'id' AS id,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    r->>'default_locale' AS default_locale,
    r->>'description' AS description,
    r->>'help_center_id' AS help_center_id,
    r->>'icon' AS icon,
    r->>'name' AS name,
    (r->>'order')::bigint AS "order",
    r->>'parent_id' AS parent_id,
    nullif(r->'translated_content', 'null') AS translated_content,
    to_timestamp((r->>'updated_at')::bigint) AS updated_at,
    r->>'url' AS url,
    r->>'workspace_id' AS workspace_id
  FROM raw_help_center_collections;
CREATE TEMP TABLE got_help_center_collections AS SELECT id, created_at, default_locale, description, help_center_id, icon, name, "order", parent_id, translated_content, updated_at, url, workspace_id FROM ic.help_center_collections;
SELECT 'help_center_collections' AS stream,
  (SELECT count(*) FROM got_help_center_collections) AS fdw_rows,
  (SELECT count(*) FROM raw_help_center_collections) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_help_center_collections EXCEPT ALL SELECT * FROM exp_help_center_collections) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_help_center_collections EXCEPT ALL SELECT * FROM got_help_center_collections) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_subscription_types(r jsonb);
\copy raw_subscription_types FROM PROGRAM 'python3 test/fakectl.py dump subscription_types' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_subscription_types AS SELECT
    r->>'id' AS id,
    r->>'consent_type' AS consent_type,
    nullif(r->'content_types', 'null') AS content_types,
    nullif(r->'default_translation', 'null') AS default_translation,
    r->>'state' AS state,
    nullif(r->'translations', 'null') AS translations,
    r->>'type' AS "type"
  FROM raw_subscription_types;
CREATE TEMP TABLE got_subscription_types AS SELECT id, consent_type, content_types, default_translation, state, translations, "type" FROM ic.subscription_types;
SELECT 'subscription_types' AS stream,
  (SELECT count(*) FROM got_subscription_types) AS fdw_rows,
  (SELECT count(*) FROM raw_subscription_types) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_subscription_types EXCEPT ALL SELECT * FROM exp_subscription_types) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_subscription_types EXCEPT ALL SELECT * FROM got_subscription_types) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_ticket_types(r jsonb);
\copy raw_ticket_types FROM PROGRAM 'python3 test/fakectl.py dump ticket_types' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_ticket_types AS SELECT
    r->>'id' AS id,
    (r->>'archived')::boolean AS archived,
    r->>'category' AS category,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    r->>'description' AS description,
    r->>'icon' AS icon,
    r->>'name' AS name,
    nullif(r->'ticket_states', 'null') AS ticket_states,
    nullif(r->'ticket_type_attributes', 'null') AS ticket_type_attributes,
    r->>'type' AS "type",
    to_timestamp((r->>'updated_at')::bigint) AS updated_at,
    r->>'workspace_id' AS workspace_id
  FROM raw_ticket_types;
CREATE TEMP TABLE got_ticket_types AS SELECT id, archived, category, created_at, description, icon, name, ticket_states, ticket_type_attributes, "type", updated_at, workspace_id FROM ic.ticket_types;
SELECT 'ticket_types' AS stream,
  (SELECT count(*) FROM got_ticket_types) AS fdw_rows,
  (SELECT count(*) FROM raw_ticket_types) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_ticket_types EXCEPT ALL SELECT * FROM exp_ticket_types) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_ticket_types EXCEPT ALL SELECT * FROM got_ticket_types) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_conversation_attributes(r jsonb);
\copy raw_conversation_attributes FROM PROGRAM 'python3 test/fakectl.py dump conversation_attributes' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_conversation_attributes AS SELECT
    r->>'name' AS name,
    r->>'admin_id' AS admin_id,
    (r->>'api_writable')::boolean AS api_writable,
    (r->>'archived')::boolean AS archived,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    (r->>'custom')::boolean AS custom,
    r->>'data_type' AS data_type,
    r->>'description' AS description,
    r->>'full_name' AS full_name,
    r->>'id' AS id,
    r->>'label' AS label,
    (r->>'messenger_writable')::boolean AS messenger_writable,
    r->>'model' AS model,
    (r->>'multiline')::boolean AS multiline,
    nullif(r->'options', 'null') AS options,
    nullif(r->'reference', 'null') AS "reference",
    (r->>'required')::boolean AS required,
    r->>'type' AS "type",
    (r->>'ui_writable')::boolean AS ui_writable,
    to_timestamp((r->>'updated_at')::bigint) AS updated_at,
    nullif(r->'visible_to_team_ids', 'null') AS visible_to_team_ids
  FROM raw_conversation_attributes;
CREATE TEMP TABLE got_conversation_attributes AS SELECT name, admin_id, api_writable, archived, created_at, custom, data_type, description, full_name, id, label, messenger_writable, model, multiline, options, "reference", required, "type", ui_writable, updated_at, visible_to_team_ids FROM ic.conversation_attributes;
SELECT 'conversation_attributes' AS stream,
  (SELECT count(*) FROM got_conversation_attributes) AS fdw_rows,
  (SELECT count(*) FROM raw_conversation_attributes) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_conversation_attributes EXCEPT ALL SELECT * FROM exp_conversation_attributes) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_conversation_attributes EXCEPT ALL SELECT * FROM got_conversation_attributes) x) AS fake_not_in_fdw;

-- API 2.16 reads conversation attributes from /conversations/attributes
CREATE TEMP TABLE raw_conversation_attributes_16(r jsonb);
\copy raw_conversation_attributes_16 FROM PROGRAM 'python3 test/fakectl.py dump conversation_attributes --version 2.16' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_conversation_attributes_16 AS SELECT
    r->>'name' AS name,
    r->>'admin_id' AS admin_id,
    (r->>'api_writable')::boolean AS api_writable,
    (r->>'archived')::boolean AS archived,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    (r->>'custom')::boolean AS custom,
    r->>'data_type' AS data_type,
    r->>'description' AS description,
    r->>'full_name' AS full_name,
    r->>'id' AS id,
    r->>'label' AS label,
    (r->>'messenger_writable')::boolean AS messenger_writable,
    r->>'model' AS model,
    (r->>'multiline')::boolean AS multiline,
    nullif(r->'options', 'null') AS options,
    nullif(r->'reference', 'null') AS "reference",
    (r->>'required')::boolean AS required,
    r->>'type' AS "type",
    (r->>'ui_writable')::boolean AS ui_writable,
    to_timestamp((r->>'updated_at')::bigint) AS updated_at,
    nullif(r->'visible_to_team_ids', 'null') AS visible_to_team_ids
  FROM raw_conversation_attributes_16;
CREATE TEMP TABLE got_conversation_attributes_16 AS SELECT name, admin_id, api_writable, archived, created_at, custom, data_type, description, full_name, id, label, messenger_writable, model, multiline, options, "reference", required, "type", ui_writable, updated_at, visible_to_team_ids FROM ic16.conversation_attributes;
SELECT 'conversation_attributes_16' AS stream,
  (SELECT count(*) FROM got_conversation_attributes_16) AS fdw_rows,
  (SELECT count(*) FROM raw_conversation_attributes_16) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_conversation_attributes_16 EXCEPT ALL SELECT * FROM exp_conversation_attributes_16) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_conversation_attributes_16 EXCEPT ALL SELECT * FROM got_conversation_attributes_16) x) AS fake_not_in_fdw;

-- ---------------------------------------------------------------------------
-- Some real values, nasty ones included
-- ---------------------------------------------------------------------------
SELECT id, name, category, archived, icon, jsonb_array_length(ticket_states->'data') AS states
FROM got_ticket_types ORDER BY id;
SELECT id, state, consent_type, content_types, default_translation->>'name' AS name
FROM got_subscription_types ORDER BY id;
SELECT id, name, parent_id, help_center_id, "order", description FROM got_help_center_collections ORDER BY id;
SELECT id, title, state, author_id, parent_ids, jsonb_array_length(tags->'tags') AS tags
FROM got_articles ORDER BY id::int LIMIT 8;
SELECT name, data_type, custom, full_name, id FROM got_conversation_attributes ORDER BY custom, name;
SELECT name, data_type, id, required, multiline, options IS NOT NULL AS has_options, reference
FROM got_conversation_attributes_16 ORDER BY id::int;

-- ---------------------------------------------------------------------------
-- Requests: one GET for the plain lists; articles page by page number until
-- total_pages (23 articles at 5 a page: 5 requests, no sixth)
-- ---------------------------------------------------------------------------
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.ticket_types;
SELECT count(*) FROM ic.subscription_types;
SELECT count(*) FROM ic.help_center_collections;
SELECT count(*) FROM ic.conversation_attributes;
SELECT count(*) FROM ic16.conversation_attributes;
\! python3 test/fakectl.py log
ALTER SERVER fake OPTIONS (ADD per_page '5');
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id FROM ic.articles)
SELECT (SELECT count(*) FROM s) AS rows, (SELECT count(DISTINCT id) FROM s) AS distinct_ids,
       (SELECT count(*) FROM (SELECT id FROM got_articles EXCEPT SELECT id FROM s) m) AS missing;
\! python3 test/fakectl.py log
-- the same boundary with pages of 23 and 22: one request, then two
ALTER SERVER fake OPTIONS (SET per_page '23');
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.articles;
\! python3 test/fakectl.py log
ALTER SERVER fake OPTIONS (SET per_page '22');
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.articles;
\! python3 test/fakectl.py log
ALTER SERVER fake OPTIONS (DROP per_page);
EXPLAIN (COSTS OFF) SELECT * FROM ic.articles;
EXPLAIN (COSTS OFF) SELECT * FROM ic16.conversation_attributes;

-- ---------------------------------------------------------------------------
-- id = X is one GET; an unknown id is no row (a 404), not an error
-- ---------------------------------------------------------------------------
\! python3 test/fakectl.py log-clear
SELECT id, title FROM ic.articles WHERE id = '45';
SELECT id, name FROM ic.help_center_collections WHERE id = '152';
SELECT id, name FROM ic.ticket_types WHERE id = '61';
SELECT id FROM ic.articles WHERE id = '9999';
SELECT id FROM ic.ticket_types WHERE id IN ('60', '62', '60');
\! python3 test/fakectl.py log
EXPLAIN (COSTS OFF) SELECT * FROM ic.help_center_collections WHERE id = '152';
-- the single GET gives the same row as the listing
SELECT count(*) AS differences FROM (
  (SELECT * FROM got_articles WHERE id = '45'
   EXCEPT ALL SELECT id, ai_chatbot_availability, ai_copilot_availability, ai_sales_agent_availability, author_id, body, body_markdown, created_at, created_by_id, default_locale, description, draft_updated_at, exclude_from_article_suggestions, has_unpublished_changes, help_center_audience, parent_ids, scheduled_publish_at, scheduled_unpublish_at, state, tags, title, translated_content, "type", updated_at, updated_by_id, url, workspace_id FROM ic.articles WHERE id = '45')) d;

-- the joins the data suggests: articles in collections, by their authors
SELECT c.name AS collection, count(a.id) AS articles
FROM got_help_center_collections c
LEFT JOIN got_articles a ON a.parent_ids @> to_jsonb(c.id::int)
GROUP BY c.id, c.name ORDER BY c.id;
SELECT ad.name AS author, count(*) AS articles
FROM ic.articles a JOIN ic.admins ad ON ad.id = a.author_id
GROUP BY ad.name ORDER BY ad.name;

-- what materialize knows of the new streams: full copies keyed on id/name
SELECT stream, primary_key, incremental, request FROM intercom_fdw.streams()
WHERE stream IN ('articles', 'conversation_attributes', 'help_center_collections',
                 'subscription_types', 'ticket_types') ORDER BY stream;

-- materialize: a copy of each new table equals its source, both ways
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
SET intercom_fdw.progress = off;
DROP SCHEMA IF EXISTS more_copies CASCADE;
RESET client_min_messages;
CREATE SCHEMA more_copies;
SELECT m.target, m.method, m.rows_upserted, m.rows_deleted
FROM (VALUES ('ic.articles'), ('ic.conversation_attributes'), ('ic.help_center_collections'),
             ('ic.subscription_types'), ('ic.ticket_types'), ('ic16.conversation_attributes')) v(src)
CROSS JOIN LATERAL intercom_fdw.materialize(v.src::regclass,
    'more_copies.' || replace(v.src, '.', '_')) m
ORDER BY 1;
\i sql/include/diff.sql
SELECT v.src, pg_temp.diff(v.src::regclass, 'more_copies.' || replace(v.src, '.', '_')) AS differences,
       (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k
         WHERE k.conrelid = ('more_copies.' || replace(v.src, '.', '_'))::regclass AND k.contype = 'p') AS key
FROM (VALUES ('ic.articles'), ('ic.conversation_attributes'), ('ic.help_center_collections'),
             ('ic.subscription_types'), ('ic.ticket_types'), ('ic16.conversation_attributes')) v(src)
ORDER BY 1;
-- a second run mirrors again (full refresh)
SELECT method, rows_upserted, rows_deleted FROM intercom_fdw.materialize('ic.articles', 'more_copies.ic_articles');
DROP SCHEMA more_copies CASCADE;
DROP SERVER fake216 CASCADE;
DROP SCHEMA ic16 CASCADE;
-- forget these copies' state and log: later suites list them
DELETE FROM intercom_fdw.sync_log WHERE target LIKE 'more_copies.%';
DELETE FROM intercom_fdw.sync_state WHERE target LIKE 'more_copies.%';
-- leave no dblink behind: materialize.sql creates its own
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dblink;
RESET client_min_messages;
