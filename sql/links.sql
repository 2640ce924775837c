-- Link tables: one row per (parent, child) of the lists parents inline
-- (contacts' tags and companies, companies' and conversations' tags,
-- conversations' contacts, teams' admin_ids).  Complete: where a contact's
-- inlined list says has_more (Intercom inlines at most 10), the rest comes
-- from GET /contacts/{id}/companies or /tags.  Every row is compared with the
-- fake's own lists (EXCEPT ALL both ways); the requests show that only a
-- parent with has_more costs one, and that filters on the parent's key or
-- updated_at reach the parent's request.
\i sql/include/setup.sql
SET timezone = 'UTC';

CREATE TEMP TABLE raw_contact_tags(r jsonb);
\copy raw_contact_tags FROM PROGRAM 'python3 test/fakectl.py dump contact_tags' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_contact_tags AS SELECT r->>'id' AS id, r->>'tag_id' AS tag_id, r->>'contact_id' AS contact_id, to_timestamp((r->>'contact_updated_at')::bigint) AS contact_updated_at FROM raw_contact_tags;
CREATE TEMP TABLE got_contact_tags AS SELECT id, tag_id, contact_id, contact_updated_at FROM ic.contact_tags;
SELECT 'contact_tags' AS stream,
  (SELECT count(*) FROM got_contact_tags) AS fdw_rows,
  (SELECT count(*) FROM raw_contact_tags) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_contact_tags EXCEPT ALL SELECT * FROM exp_contact_tags) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_contact_tags EXCEPT ALL SELECT * FROM got_contact_tags) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_contact_companies(r jsonb);
\copy raw_contact_companies FROM PROGRAM 'python3 test/fakectl.py dump contact_companies' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_contact_companies AS SELECT r->>'id' AS id, r->>'company_id' AS company_id, r->>'contact_id' AS contact_id, to_timestamp((r->>'contact_updated_at')::bigint) AS contact_updated_at FROM raw_contact_companies;
CREATE TEMP TABLE got_contact_companies AS SELECT id, company_id, contact_id, contact_updated_at FROM ic.contact_companies;
SELECT 'contact_companies' AS stream,
  (SELECT count(*) FROM got_contact_companies) AS fdw_rows,
  (SELECT count(*) FROM raw_contact_companies) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_contact_companies EXCEPT ALL SELECT * FROM exp_contact_companies) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_contact_companies EXCEPT ALL SELECT * FROM got_contact_companies) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_company_tags(r jsonb);
\copy raw_company_tags FROM PROGRAM 'python3 test/fakectl.py dump company_tags' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_company_tags AS SELECT r->>'id' AS id, r->>'tag_id' AS tag_id, r->>'company_id' AS company_id, to_timestamp((r->>'company_updated_at')::bigint) AS company_updated_at FROM raw_company_tags;
CREATE TEMP TABLE got_company_tags AS SELECT id, tag_id, company_id, company_updated_at FROM ic.company_tags;
SELECT 'company_tags' AS stream,
  (SELECT count(*) FROM got_company_tags) AS fdw_rows,
  (SELECT count(*) FROM raw_company_tags) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_company_tags EXCEPT ALL SELECT * FROM exp_company_tags) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_company_tags EXCEPT ALL SELECT * FROM got_company_tags) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_conversation_tags(r jsonb);
\copy raw_conversation_tags FROM PROGRAM 'python3 test/fakectl.py dump conversation_tags' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_conversation_tags AS SELECT r->>'id' AS id, r->>'tag_id' AS tag_id, r->>'conversation_id' AS conversation_id, to_timestamp((r->>'conversation_updated_at')::bigint) AS conversation_updated_at FROM raw_conversation_tags;
CREATE TEMP TABLE got_conversation_tags AS SELECT id, tag_id, conversation_id, conversation_updated_at FROM ic.conversation_tags;
SELECT 'conversation_tags' AS stream,
  (SELECT count(*) FROM got_conversation_tags) AS fdw_rows,
  (SELECT count(*) FROM raw_conversation_tags) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_conversation_tags EXCEPT ALL SELECT * FROM exp_conversation_tags) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_conversation_tags EXCEPT ALL SELECT * FROM got_conversation_tags) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_conversation_contacts(r jsonb);
\copy raw_conversation_contacts FROM PROGRAM 'python3 test/fakectl.py dump conversation_contacts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_conversation_contacts AS SELECT r->>'id' AS id, r->>'contact_id' AS contact_id, r->>'conversation_id' AS conversation_id, to_timestamp((r->>'conversation_updated_at')::bigint) AS conversation_updated_at FROM raw_conversation_contacts;
CREATE TEMP TABLE got_conversation_contacts AS SELECT id, contact_id, conversation_id, conversation_updated_at FROM ic.conversation_contacts;
SELECT 'conversation_contacts' AS stream,
  (SELECT count(*) FROM got_conversation_contacts) AS fdw_rows,
  (SELECT count(*) FROM raw_conversation_contacts) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_conversation_contacts EXCEPT ALL SELECT * FROM exp_conversation_contacts) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_conversation_contacts EXCEPT ALL SELECT * FROM got_conversation_contacts) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_team_admins(r jsonb);
\copy raw_team_admins FROM PROGRAM 'python3 test/fakectl.py dump team_admins' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_team_admins AS SELECT r->>'id' AS id, r->>'admin_id' AS admin_id, r->>'team_id' AS team_id FROM raw_team_admins;
CREATE TEMP TABLE got_team_admins AS SELECT id, admin_id, team_id FROM ic.team_admins;
SELECT 'team_admins' AS stream,
  (SELECT count(*) FROM got_team_admins) AS fdw_rows,
  (SELECT count(*) FROM raw_team_admins) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_team_admins EXCEPT ALL SELECT * FROM exp_team_admins) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_team_admins EXCEPT ALL SELECT * FROM got_team_admins) x) AS fake_not_in_fdw;

-- the contact with 12 companies: the inlined list has 10, the table all 12
SELECT c.id, jsonb_array_length(c.companies->'data') AS inlined, (c.companies->>'has_more')::boolean AS has_more,
       (SELECT count(*) FROM got_contact_companies l WHERE l.contact_id = c.id) AS linked
FROM ic.contacts c WHERE (c.companies->>'has_more')::boolean;

-- a contact given every tag (12): it inlines 10 and says has_more; the table
-- has all 12, from GET /contacts/{id}/tags, in a full scan and by id
\! python3 test/fakectl.py tag-all ba82e4f4b425700000000000
SELECT jsonb_array_length(tags->'data') AS inlined, (tags->>'has_more')::boolean AS has_more,
       (tags->>'total_count')::int AS total_count
FROM ic.contacts WHERE id = 'ba82e4f4b425700000000000';
\! python3 test/fakectl.py log-clear
SELECT count(*) AS tags_of_contact FROM ic.contact_tags WHERE contact_id = 'ba82e4f4b425700000000000';
\! python3 test/fakectl.py log | cut -d' ' -f1,2,3
CREATE TEMP TABLE raw_contact_tags_all(r jsonb);
\copy raw_contact_tags_all FROM PROGRAM 'python3 test/fakectl.py dump contact_tags' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id, tag_id, contact_id FROM ic.contact_tags)
SELECT (SELECT count(*) FROM s) AS fdw_rows, (SELECT count(*) FROM raw_contact_tags_all) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM s
                         EXCEPT ALL SELECT r->>'id', r->>'tag_id', r->>'contact_id' FROM raw_contact_tags_all) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT r->>'id', r->>'tag_id', r->>'contact_id' FROM raw_contact_tags_all
                         EXCEPT ALL SELECT * FROM s) x) AS fake_not_in_fdw;
\! python3 test/fakectl.py log | cut -d' ' -f1,2,3 | sed 's/starting_after=[^& ]*/starting_after=.../'
\! python3 test/fakectl.py reset

-- a company whose tag list names tag 110 twice: one link
SELECT c.id, (SELECT count(*) FROM jsonb_array_elements(c.tags->'tags') e WHERE e->>'id' = '110') AS in_json,
       (SELECT count(*) FROM got_company_tags ct WHERE ct.company_id = c.id AND ct.tag_id = '110') AS links
FROM ic.companies c WHERE c.id = 'e8e2852c513cd00000000002';

-- requests: the parent's listing, plus one GET for the contact with has_more
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.contact_companies;
\! python3 test/fakectl.py log | cut -d' ' -f1,2,3 | sed 's/starting_after=[^& ]*/starting_after=.../'
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.contact_tags;
\! python3 test/fakectl.py log | cut -d' ' -f1,2,3 | sed 's/starting_after=[^& ]*/starting_after=.../'
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.team_admins;
\! python3 test/fakectl.py log
EXPLAIN (COSTS OFF) SELECT * FROM ic.contact_companies;
EXPLAIN (COSTS OFF) SELECT * FROM ic.company_tags;

-- pushdown through the parent: its key is one GET, its updated_at its search
SELECT contact_id AS long_contact FROM got_contact_companies GROUP BY 1 HAVING count(*) > 10 \gset
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.contact_companies WHERE contact_id = :'long_contact';
SELECT count(*) FROM ic.conversation_tags WHERE conversation_id = '100001';
\! python3 test/fakectl.py log | cut -d' ' -f1,2,3
EXPLAIN (COSTS OFF) SELECT * FROM ic.contact_tags WHERE contact_updated_at >= '2024-01-01+00';
EXPLAIN (COSTS OFF) SELECT * FROM ic.conversation_contacts WHERE conversation_updated_at >= '2024-01-01+00';
EXPLAIN (COSTS OFF) SELECT * FROM ic.conversation_tags WHERE conversation_id IN ('100001', '100002');
-- every bound gives the local answer
CREATE TEMP TABLE bounds AS SELECT DISTINCT conversation_updated_at AS t FROM got_conversation_tags ORDER BY 1 LIMIT 5;
SELECT b.t,
  (SELECT count(*) FROM ic.conversation_tags WHERE conversation_updated_at >= b.t) AS ge_fdw,
  (SELECT count(*) FROM got_conversation_tags WHERE conversation_updated_at >= b.t) AS ge_local,
  (SELECT count(*) FROM ic.contact_tags WHERE contact_updated_at < b.t) AS contact_lt_fdw,
  (SELECT count(*) FROM got_contact_tags WHERE contact_updated_at < b.t) AS contact_lt_local
FROM bounds b ORDER BY b.t;
-- a join on the parent's key: one GET per outer row
EXPLAIN (COSTS OFF)
SELECT c.id, t.name FROM ic.contacts c JOIN ic.contact_tags ct ON ct.contact_id = c.id
JOIN ic.tags t ON t.id = ct.tag_id WHERE c.id = :'long_contact';

-- the seed's joins (docs/tables.md shows each): the link table against the
-- inlined JSON; only contacts' companies differ, by the two past the 10 inlined
SELECT 'contacts.tags.data.id = tags.id' AS seed_join,
  (SELECT count(*) FROM ic.contact_tags ct JOIN ic.tags t ON t.id = ct.tag_id) AS via_link,
  (SELECT count(*) FROM ic.contacts c, jsonb_array_elements(c.tags->'data') e
     JOIN ic.tags t ON t.id = e->>'id') AS via_json
UNION ALL
SELECT 'contacts.companies.data.id = companies.id',
  (SELECT count(*) FROM ic.contact_companies cc JOIN ic.companies co ON co.id = cc.company_id),
  (SELECT count(*) FROM ic.contacts c, jsonb_array_elements(c.companies->'data') e
     JOIN ic.companies co ON co.id = e->>'id')
UNION ALL
SELECT 'companies.tags.tags.id = tags.id',
  (SELECT count(*) FROM ic.company_tags ct JOIN ic.tags t ON t.id = ct.tag_id),
  (SELECT count(*) FROM ic.companies c, jsonb_array_elements(c.tags->'tags') e
     JOIN ic.tags t ON t.id = e->>'id')
UNION ALL
SELECT 'conversations.tags.tags.id = tags.id',
  (SELECT count(*) FROM ic.conversation_tags ct JOIN ic.tags t ON t.id = ct.tag_id),
  (SELECT count(*) FROM ic.conversations c, jsonb_array_elements(c.tags->'tags') e
     JOIN ic.tags t ON t.id = e->>'id')
UNION ALL
SELECT 'conversations.contacts.contacts.id = contacts.id',
  (SELECT count(*) FROM ic.conversation_contacts cc JOIN ic.contacts c ON c.id = cc.contact_id),
  (SELECT count(*) FROM ic.conversations v, jsonb_array_elements(v.contacts->'contacts') e
     JOIN ic.contacts c ON c.id = e->>'id')
UNION ALL
SELECT 'teams.admin_ids = admins.id',
  (SELECT count(*) FROM ic.team_admins ta JOIN ic.admins a ON a.id = ta.admin_id),
  (SELECT count(*) FROM ic.teams t, jsonb_array_elements_text(t.admin_ids) e
     JOIN ic.admins a ON a.id = e);
SELECT t.name AS team, string_agg(a.name, ', ' ORDER BY a.name) AS admins
FROM ic.team_admins ta JOIN ic.teams t ON t.id = ta.team_id JOIN ic.admins a ON a.id = ta.admin_id
GROUP BY t.name ORDER BY t.name;

-- materialize: full copies keyed on "id" (parent/child), equal to their sources
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
SET intercom_fdw.progress = off;
DROP SCHEMA IF EXISTS link_copies CASCADE;
RESET client_min_messages;
CREATE SCHEMA link_copies;
SELECT m.target, m.method, m.rows_upserted
FROM unnest(ARRAY['contact_tags', 'contact_companies', 'company_tags', 'conversation_tags',
                  'conversation_contacts', 'team_admins']) t
CROSS JOIN LATERAL intercom_fdw.materialize(('ic.' || t)::regclass, 'link_copies.' || t) m
ORDER BY 1;
\i sql/include/diff.sql
SELECT t AS link_table, pg_temp.diff(('ic.' || t)::regclass, 'link_copies.' || t) AS differences
FROM unnest(ARRAY['contact_tags', 'contact_companies', 'company_tags', 'conversation_tags',
                  'conversation_contacts', 'team_admins']) t ORDER BY 1;
SELECT stream, primary_key, incremental, request FROM intercom_fdw.streams()
WHERE stream IN ('contact_tags', 'contact_companies', 'company_tags', 'conversation_tags',
                 'conversation_contacts', 'team_admins') ORDER BY stream;
DROP SCHEMA link_copies CASCADE;
-- forget these copies' state and log: later suites list them
DELETE FROM intercom_fdw.sync_log WHERE target LIKE 'link_copies.%';
DELETE FROM intercom_fdw.sync_state WHERE target LIKE 'link_copies.%';
-- leave no dblink behind: materialize.sql creates its own
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dblink;
RESET client_min_messages;
