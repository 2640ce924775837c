-- Scans of all eleven tables compared value by value with the fake's own
-- data (fakectl dump), page boundaries, empty streams, scroll restarts,
-- scroll_exists, a vanished conversation, the 500-part cap, generic plans
-- and request counts.
\i sql/include/setup.sql
SET timezone = 'UTC';

-- ---------------------------------------------------------------------------
-- Full value comparison: every column of every row of every table equals the
-- fake's JSON converted independently (EXCEPT ALL both ways, so duplicates
-- count too).  The FDW's rows are read once into got_*.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE raw_admins(r jsonb);
\copy raw_admins FROM PROGRAM 'python3 test/fakectl.py dump admins' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_admins AS SELECT
    r->>'id' AS id,
    nullif(r->'admin_ids', 'null') AS admin_ids,
    nullif(r->'avatar', 'null') AS avatar,
    (r->>'away_mode_enabled')::boolean AS away_mode_enabled,
    (r->>'away_mode_reassign')::boolean AS away_mode_reassign,
    r->>'email' AS email,
    (r->>'has_inbox_seat')::boolean AS has_inbox_seat,
    r->>'job_title' AS job_title,
    r->>'name' AS name,
    nullif(r->'team_ids', 'null') AS team_ids,
    nullif(r->'team_priority_level', 'null') AS team_priority_level,
    r->>'type' AS "type"
  FROM raw_admins;
CREATE TEMP TABLE got_admins AS SELECT id, admin_ids, avatar, away_mode_enabled, away_mode_reassign, email, has_inbox_seat, job_title, name, team_ids, team_priority_level, "type" FROM ic.admins;
SELECT 'admins' AS stream,
  (SELECT count(*) FROM got_admins) AS fdw_rows,
  (SELECT count(*) FROM raw_admins) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_admins EXCEPT ALL SELECT * FROM exp_admins) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_admins EXCEPT ALL SELECT * FROM got_admins) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_teams(r jsonb);
\copy raw_teams FROM PROGRAM 'python3 test/fakectl.py dump teams' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_teams AS SELECT
    r->>'id' AS id,
    nullif(r->'admin_ids', 'null') AS admin_ids,
    nullif(r->'admin_priority_level', 'null') AS admin_priority_level,
    r->>'name' AS name,
    r->>'type' AS "type"
  FROM raw_teams;
CREATE TEMP TABLE got_teams AS SELECT id, admin_ids, admin_priority_level, name, "type" FROM ic.teams;
SELECT 'teams' AS stream,
  (SELECT count(*) FROM got_teams) AS fdw_rows,
  (SELECT count(*) FROM raw_teams) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_teams EXCEPT ALL SELECT * FROM exp_teams) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_teams EXCEPT ALL SELECT * FROM got_teams) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_tags(r jsonb);
\copy raw_tags FROM PROGRAM 'python3 test/fakectl.py dump tags' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_tags AS SELECT
    r->>'id' AS id,
    r->>'name' AS name,
    r->>'type' AS "type"
  FROM raw_tags;
CREATE TEMP TABLE got_tags AS SELECT id, name, "type" FROM ic.tags;
SELECT 'tags' AS stream,
  (SELECT count(*) FROM got_tags) AS fdw_rows,
  (SELECT count(*) FROM raw_tags) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_tags EXCEPT ALL SELECT * FROM exp_tags) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_tags EXCEPT ALL SELECT * FROM got_tags) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_segments(r jsonb);
\copy raw_segments FROM PROGRAM 'python3 test/fakectl.py dump segments' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_segments AS SELECT
    r->>'id' AS id,
    (r->>'count')::bigint AS "count",
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    r->>'name' AS name,
    r->>'person_type' AS person_type,
    r->>'type' AS "type",
    to_timestamp((r->>'updated_at')::bigint) AS updated_at
  FROM raw_segments;
CREATE TEMP TABLE got_segments AS SELECT id, "count", created_at, name, person_type, "type", updated_at FROM ic.segments;
SELECT 'segments' AS stream,
  (SELECT count(*) FROM got_segments) AS fdw_rows,
  (SELECT count(*) FROM raw_segments) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_segments EXCEPT ALL SELECT * FROM exp_segments) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_segments EXCEPT ALL SELECT * FROM got_segments) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_company_segments(r jsonb);
\copy raw_company_segments FROM PROGRAM 'python3 test/fakectl.py dump company_segments' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_company_segments AS SELECT
    r->>'id' AS id,
    (r->>'count')::bigint AS "count",
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    r->>'name' AS name,
    r->>'person_type' AS person_type,
    r->>'type' AS "type",
    to_timestamp((r->>'updated_at')::bigint) AS updated_at
  FROM raw_company_segments;
CREATE TEMP TABLE got_company_segments AS SELECT id, "count", created_at, name, person_type, "type", updated_at FROM ic.company_segments;
SELECT 'company_segments' AS stream,
  (SELECT count(*) FROM got_company_segments) AS fdw_rows,
  (SELECT count(*) FROM raw_company_segments) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_company_segments EXCEPT ALL SELECT * FROM exp_company_segments) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_company_segments EXCEPT ALL SELECT * FROM got_company_segments) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_contact_attributes(r jsonb);
\copy raw_contact_attributes FROM PROGRAM 'python3 test/fakectl.py dump contact_attributes' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_contact_attributes AS SELECT
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
    nullif(r->'options', 'null') AS "options",
    r->>'type' AS "type",
    (r->>'ui_writable')::boolean AS ui_writable,
    to_timestamp((r->>'updated_at')::bigint) AS updated_at
  FROM raw_contact_attributes;
CREATE TEMP TABLE got_contact_attributes AS SELECT name, admin_id, api_writable, archived, created_at, custom, data_type, description, full_name, id, label, messenger_writable, model, "options", "type", ui_writable, updated_at FROM ic.contact_attributes;
SELECT 'contact_attributes' AS stream,
  (SELECT count(*) FROM got_contact_attributes) AS fdw_rows,
  (SELECT count(*) FROM raw_contact_attributes) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_contact_attributes EXCEPT ALL SELECT * FROM exp_contact_attributes) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_contact_attributes EXCEPT ALL SELECT * FROM got_contact_attributes) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_company_attributes(r jsonb);
\copy raw_company_attributes FROM PROGRAM 'python3 test/fakectl.py dump company_attributes' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_company_attributes AS SELECT
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
    nullif(r->'options', 'null') AS "options",
    r->>'type' AS "type",
    (r->>'ui_writable')::boolean AS ui_writable,
    to_timestamp((r->>'updated_at')::bigint) AS updated_at
  FROM raw_company_attributes;
CREATE TEMP TABLE got_company_attributes AS SELECT name, admin_id, api_writable, archived, created_at, custom, data_type, description, full_name, id, label, messenger_writable, model, "options", "type", ui_writable, updated_at FROM ic.company_attributes;
SELECT 'company_attributes' AS stream,
  (SELECT count(*) FROM got_company_attributes) AS fdw_rows,
  (SELECT count(*) FROM raw_company_attributes) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_company_attributes EXCEPT ALL SELECT * FROM exp_company_attributes) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_company_attributes EXCEPT ALL SELECT * FROM got_company_attributes) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_companies(r jsonb);
\copy raw_companies FROM PROGRAM 'python3 test/fakectl.py dump companies' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_companies AS SELECT
    r->>'id' AS id,
    r->>'app_id' AS app_id,
    r->>'company_id' AS company_id,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    nullif(r->'custom_attributes', 'null') AS custom_attributes,
    r->>'industry' AS industry,
    to_timestamp((r->>'last_request_at')::bigint) AS last_request_at,
    (r->>'monthly_spend')::numeric AS monthly_spend,
    r->>'name' AS name,
    nullif(r->'plan', 'null') AS plan,
    to_timestamp((r->>'remote_created_at')::bigint) AS remote_created_at,
    nullif(r->'segments', 'null') AS segments,
    (r->>'session_count')::bigint AS session_count,
    (r->>'size')::bigint AS "size",
    nullif(r->'tags', 'null') AS tags,
    r->>'type' AS "type",
    to_timestamp((r->>'updated_at')::bigint) AS updated_at,
    (r->>'user_count')::bigint AS user_count,
    r->>'website' AS website
  FROM raw_companies;
CREATE TEMP TABLE got_companies AS SELECT id, app_id, company_id, created_at, custom_attributes, industry, last_request_at, monthly_spend, name, plan, remote_created_at, segments, session_count, "size", tags, "type", updated_at, user_count, website FROM ic.companies;
SELECT 'companies' AS stream,
  (SELECT count(*) FROM got_companies) AS fdw_rows,
  (SELECT count(*) FROM raw_companies) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_companies EXCEPT ALL SELECT * FROM exp_companies) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_companies EXCEPT ALL SELECT * FROM got_companies) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_contacts(r jsonb);
\copy raw_contacts FROM PROGRAM 'python3 test/fakectl.py dump contacts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_contacts AS SELECT
    r->>'id' AS id,
    r->>'android_app_name' AS android_app_name,
    r->>'android_app_version' AS android_app_version,
    r->>'android_device' AS android_device,
    to_timestamp((r->>'android_last_seen_at')::bigint) AS android_last_seen_at,
    r->>'android_os_version' AS android_os_version,
    r->>'android_sdk_version' AS android_sdk_version,
    r->>'avatar' AS avatar,
    r->>'browser' AS browser,
    r->>'browser_language' AS browser_language,
    r->>'browser_version' AS browser_version,
    nullif(r->'companies', 'null') AS companies,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    nullif(r->'custom_attributes', 'null') AS custom_attributes,
    r->>'email' AS email,
    r->>'email_domain' AS email_domain,
    r->>'external_id' AS external_id,
    (r->>'has_hard_bounced')::boolean AS has_hard_bounced,
    r->>'ios_app_name' AS ios_app_name,
    r->>'ios_app_version' AS ios_app_version,
    r->>'ios_device' AS ios_device,
    to_timestamp((r->>'ios_last_seen_at')::bigint) AS ios_last_seen_at,
    r->>'ios_os_version' AS ios_os_version,
    r->>'ios_sdk_version' AS ios_sdk_version,
    r->>'language_override' AS language_override,
    to_timestamp((r->>'last_contacted_at')::bigint) AS last_contacted_at,
    to_timestamp((r->>'last_email_clicked_at')::bigint) AS last_email_clicked_at,
    to_timestamp((r->>'last_email_opened_at')::bigint) AS last_email_opened_at,
    to_timestamp((r->>'last_replied_at')::bigint) AS last_replied_at,
    to_timestamp((r->>'last_seen_at')::bigint) AS last_seen_at,
    nullif(r->'location', 'null') AS location,
    (r->>'marked_email_as_spam')::boolean AS marked_email_as_spam,
    r->>'name' AS name,
    nullif(r->'notes', 'null') AS notes,
    r->>'os' AS os,
    r->>'owner_id' AS owner_id,
    r->>'phone' AS phone,
    r->>'role' AS role,
    to_timestamp((r->>'signed_up_at')::bigint) AS signed_up_at,
    nullif(r->'social_profiles', 'null') AS social_profiles,
    nullif(r->'tags', 'null') AS tags,
    r->>'type' AS "type",
    (r->>'unsubscribed_from_emails')::boolean AS unsubscribed_from_emails,
    to_timestamp((r->>'updated_at')::bigint) AS updated_at,
    r->>'workspace_id' AS workspace_id
  FROM raw_contacts;
CREATE TEMP TABLE got_contacts AS SELECT id, android_app_name, android_app_version, android_device, android_last_seen_at, android_os_version, android_sdk_version, avatar, browser, browser_language, browser_version, companies, created_at, custom_attributes, email, email_domain, external_id, has_hard_bounced, ios_app_name, ios_app_version, ios_device, ios_last_seen_at, ios_os_version, ios_sdk_version, language_override, last_contacted_at, last_email_clicked_at, last_email_opened_at, last_replied_at, last_seen_at, location, marked_email_as_spam, name, notes, os, owner_id, phone, role, signed_up_at, social_profiles, tags, "type", unsubscribed_from_emails, updated_at, workspace_id FROM ic.contacts;
SELECT 'contacts' AS stream,
  (SELECT count(*) FROM got_contacts) AS fdw_rows,
  (SELECT count(*) FROM raw_contacts) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_contacts EXCEPT ALL SELECT * FROM exp_contacts) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_contacts EXCEPT ALL SELECT * FROM got_contacts) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_conversations(r jsonb);
\copy raw_conversations FROM PROGRAM 'python3 test/fakectl.py dump conversations' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_conversations AS SELECT
    r->>'id' AS id,
    r->>'admin_assignee_id' AS admin_assignee_id,
    nullif(r->'assignee', 'null') AS assignee,
    nullif(r->'contacts', 'null') AS contacts,
    nullif(r->'conversation_message', 'null') AS conversation_message,
    nullif(r->'conversation_rating', 'null') AS conversation_rating,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    nullif(r->'custom_attributes', 'null') AS custom_attributes,
    nullif(r->'customer_first_reply', 'null') AS customer_first_reply,
    nullif(r->'customers', 'null') AS customers,
    nullif(r->'first_contact_reply', 'null') AS first_contact_reply,
    (r->>'open')::boolean AS "open",
    r->>'priority' AS priority,
    (r->>'read')::boolean AS "read",
    to_timestamp((r->>'sent_at')::bigint) AS sent_at,
    nullif(r->'sla_applied', 'null') AS sla_applied,
    to_timestamp((r->>'snoozed_until')::bigint) AS snoozed_until,
    nullif(r->'source', 'null') AS source,
    r->>'state' AS state,
    nullif(r->'statistics', 'null') AS statistics,
    nullif(r->'tags', 'null') AS tags,
    r->>'team_assignee_id' AS team_assignee_id,
    nullif(r->'teammates', 'null') AS teammates,
    r->>'title' AS title,
    r->>'type' AS "type",
    to_timestamp((r->>'updated_at')::bigint) AS updated_at,
    nullif(r->'user', 'null') AS "user",
    to_timestamp((r->>'waiting_since')::bigint) AS waiting_since
  FROM raw_conversations;
CREATE TEMP TABLE got_conversations AS SELECT id, admin_assignee_id, assignee, contacts, conversation_message, conversation_rating, created_at, custom_attributes, customer_first_reply, customers, first_contact_reply, "open", priority, "read", sent_at, sla_applied, snoozed_until, source, state, statistics, tags, team_assignee_id, teammates, title, "type", updated_at, "user", waiting_since FROM ic.conversations;
SELECT 'conversations' AS stream,
  (SELECT count(*) FROM got_conversations) AS fdw_rows,
  (SELECT count(*) FROM raw_conversations) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_conversations EXCEPT ALL SELECT * FROM exp_conversations) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_conversations EXCEPT ALL SELECT * FROM got_conversations) x) AS fake_not_in_fdw;

CREATE TEMP TABLE raw_conversation_parts(r jsonb);
\copy raw_conversation_parts FROM PROGRAM 'python3 test/fakectl.py dump conversation_parts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP VIEW exp_conversation_parts AS SELECT
    r->>'id' AS id,
    r->'assigned_to'->>'id' AS assigned_to,
    r->'assigned_to'->>'type' AS assigned_to_type,
    nullif(r->'attachments', 'null') AS attachments,
    nullif(r->'author', 'null') AS author,
    r->>'body' AS body,
    to_timestamp((r->>'conversation_created_at')::bigint) AS conversation_created_at,
    r->>'conversation_id' AS conversation_id,
    (r->>'conversation_total_parts')::bigint AS conversation_total_parts,
    to_timestamp((r->>'conversation_updated_at')::bigint) AS conversation_updated_at,
    to_timestamp((r->>'created_at')::bigint) AS created_at,
    r->>'external_id' AS external_id,
    to_timestamp((r->>'notified_at')::bigint) AS notified_at,
    r->>'part_type' AS part_type,
    (r->>'redacted')::boolean AS redacted,
    r->>'type' AS "type",
    to_timestamp((r->>'updated_at')::bigint) AS updated_at
  FROM raw_conversation_parts;
CREATE TEMP TABLE got_conversation_parts AS SELECT id, assigned_to, assigned_to_type, attachments, author, body, conversation_created_at, conversation_id, conversation_total_parts, conversation_updated_at, created_at, external_id, notified_at, part_type, redacted, "type", updated_at FROM ic.conversation_parts;
SELECT 'conversation_parts' AS stream,
  (SELECT count(*) FROM got_conversation_parts) AS fdw_rows,
  (SELECT count(*) FROM raw_conversation_parts) AS fake_rows,
  (SELECT count(*) FROM (SELECT * FROM got_conversation_parts EXCEPT ALL SELECT * FROM exp_conversation_parts) x) AS fdw_not_in_fake,
  (SELECT count(*) FROM (SELECT * FROM exp_conversation_parts EXCEPT ALL SELECT * FROM got_conversation_parts) x) AS fake_not_in_fdw;

-- ---------------------------------------------------------------------------
-- Some real values, nasty ones included
-- ---------------------------------------------------------------------------
SELECT id, name, "type" FROM got_tags ORDER BY id::int;
SELECT id, name, admin_ids FROM got_teams ORDER BY id;
SELECT id, name, job_title, team_ids FROM got_admins ORDER BY id;
-- avatars are asked for (display_avatar=true), so none is missing
SELECT count(*) AS admins, count(avatar) AS with_avatar,
       count(*) FILTER (WHERE avatar->>'image_url' IS NOT NULL) AS with_image
FROM got_admins;
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.admins WHERE avatar IS NOT NULL;
\! python3 test/fakectl.py log
-- an assignment names an admin or a team: the type says which table the id joins
SELECT p.assigned_to_type, count(*) AS parts,
       count(a.id) AS joins_admins, count(t.id) AS joins_teams
FROM got_conversation_parts p
LEFT JOIN got_admins a ON p.assigned_to_type = 'admin' AND a.id = p.assigned_to
LEFT JOIN got_teams t ON p.assigned_to_type = 'team' AND t.id = p.assigned_to
GROUP BY 1 ORDER BY 1;
SELECT id, name, "count", person_type, created_at FROM got_segments ORDER BY name;
SELECT id, name, trim_scale(monthly_spend) AS monthly_spend, "size", remote_created_at, website
FROM got_companies ORDER BY id LIMIT 12;
-- JSON reals keep their shortest form, in numeric and in jsonb
SELECT c.id, trim_scale(c.monthly_spend) AS monthly_spend, x.r->'monthly_spend' AS fake_monthly_spend,
       c.custom_attributes->'monthly_spend' AS custom_spend,
       x.r->'custom_attributes'->'monthly_spend' AS fake_custom_spend
FROM got_companies c JOIN raw_companies x ON x.r->>'id' = c.id
ORDER BY c.id LIMIT 6;
-- the pre-1970 timestamps
SELECT id, remote_created_at FROM got_companies
WHERE remote_created_at < '1970-01-01' ORDER BY id;
SELECT id, created_at, signed_up_at FROM got_contacts
WHERE created_at < '1970-01-01' OR signed_up_at < '1970-01-01' ORDER BY id;
-- empty string and NULL stay apart
SELECT 'fdw' AS source, count(*) FILTER (WHERE name = '') AS empty_name,
       count(*) FILTER (WHERE name IS NULL) AS null_name,
       count(*) FILTER (WHERE email IS NULL) AS null_email
FROM got_contacts
UNION ALL
SELECT 'fake', count(*) FILTER (WHERE r->>'name' = ''),
       count(*) FILTER (WHERE r->'name' = 'null'),
       count(*) FILTER (WHERE r->'email' = 'null')
FROM raw_contacts ORDER BY 1;
SELECT 'fdw' AS source, count(*) FILTER (WHERE industry = '') AS empty_industry,
       count(*) FILTER (WHERE industry IS NULL) AS null_industry,
       count(*) FILTER (WHERE company_id = '') AS empty_company_id
FROM got_companies
UNION ALL
SELECT 'fake', count(*) FILTER (WHERE r->>'industry' = ''),
       count(*) FILTER (WHERE r->'industry' = 'null'),
       count(*) FILTER (WHERE r->>'company_id' = '')
FROM raw_companies ORDER BY 1;
-- names with quotes, backslashes, newlines, tabs, unicode
SELECT id, name, email, length(name) AS len FROM got_contacts
WHERE name ~ '[''"\\\n\t]' OR name ~ '[^\x01-\x7f]' ORDER BY id LIMIT 15;
SELECT id, part_type, body FROM got_conversation_parts
WHERE conversation_id = '100001' ORDER BY id;
SELECT id, title, state, "open", priority, admin_assignee_id, created_at
FROM got_conversations ORDER BY id LIMIT 8;
SELECT name, data_type, custom, id, description FROM got_contact_attributes
ORDER BY custom, name, id;

-- ---------------------------------------------------------------------------
-- Page boundaries: per_page 1, count-1, count, count+1 return the same ids as
-- the full scan, and the number of requests is ceil(count / per_page)
-- (per_page 1 with concurrency 1: so many pages would read in partitions)
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE pages(stream text, per_page int, rows bigint, distinct_ids bigint,
                        missing bigint, extra bigint, requests int);
ALTER SERVER fake OPTIONS (ADD per_page '1', ADD concurrency '1');
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id FROM ic.conversations)
INSERT INTO pages SELECT 'conversations', 1, (SELECT count(*) FROM s), (SELECT count(DISTINCT id) FROM s),
  (SELECT count(*) FROM (SELECT id FROM got_conversations EXCEPT SELECT id FROM s) m),
  (SELECT count(*) FROM (SELECT id FROM s EXCEPT SELECT id FROM got_conversations) e);
\set n `python3 test/fakectl.py count --path /conversations`
UPDATE pages SET requests = :n WHERE stream = 'conversations' AND per_page = 1;
ALTER SERVER fake OPTIONS (SET per_page '41', DROP concurrency);
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id FROM ic.conversations)
INSERT INTO pages SELECT 'conversations', 41, (SELECT count(*) FROM s), (SELECT count(DISTINCT id) FROM s),
  (SELECT count(*) FROM (SELECT id FROM got_conversations EXCEPT SELECT id FROM s) m),
  (SELECT count(*) FROM (SELECT id FROM s EXCEPT SELECT id FROM got_conversations) e);
\set n `python3 test/fakectl.py count --path /conversations`
UPDATE pages SET requests = :n WHERE stream = 'conversations' AND per_page = 41;
ALTER SERVER fake OPTIONS (SET per_page '42');
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id FROM ic.conversations)
INSERT INTO pages SELECT 'conversations', 42, (SELECT count(*) FROM s), (SELECT count(DISTINCT id) FROM s),
  (SELECT count(*) FROM (SELECT id FROM got_conversations EXCEPT SELECT id FROM s) m),
  (SELECT count(*) FROM (SELECT id FROM s EXCEPT SELECT id FROM got_conversations) e);
\set n `python3 test/fakectl.py count --path /conversations`
UPDATE pages SET requests = :n WHERE stream = 'conversations' AND per_page = 42;
ALTER SERVER fake OPTIONS (SET per_page '43');
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id FROM ic.conversations)
INSERT INTO pages SELECT 'conversations', 43, (SELECT count(*) FROM s), (SELECT count(DISTINCT id) FROM s),
  (SELECT count(*) FROM (SELECT id FROM got_conversations EXCEPT SELECT id FROM s) m),
  (SELECT count(*) FROM (SELECT id FROM s EXCEPT SELECT id FROM got_conversations) e);
\set n `python3 test/fakectl.py count --path /conversations`
UPDATE pages SET requests = :n WHERE stream = 'conversations' AND per_page = 43;
ALTER SERVER fake OPTIONS (SET per_page '1', ADD concurrency '1');
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id FROM ic.contacts)
INSERT INTO pages SELECT 'contacts', 1, (SELECT count(*) FROM s), (SELECT count(DISTINCT id) FROM s),
  (SELECT count(*) FROM (SELECT id FROM got_contacts EXCEPT SELECT id FROM s) m),
  (SELECT count(*) FROM (SELECT id FROM s EXCEPT SELECT id FROM got_contacts) e);
\set n `python3 test/fakectl.py count --path /contacts`
UPDATE pages SET requests = :n WHERE stream = 'contacts' AND per_page = 1;
ALTER SERVER fake OPTIONS (SET per_page '122', DROP concurrency);
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id FROM ic.contacts)
INSERT INTO pages SELECT 'contacts', 122, (SELECT count(*) FROM s), (SELECT count(DISTINCT id) FROM s),
  (SELECT count(*) FROM (SELECT id FROM got_contacts EXCEPT SELECT id FROM s) m),
  (SELECT count(*) FROM (SELECT id FROM s EXCEPT SELECT id FROM got_contacts) e);
\set n `python3 test/fakectl.py count --path /contacts`
UPDATE pages SET requests = :n WHERE stream = 'contacts' AND per_page = 122;
ALTER SERVER fake OPTIONS (SET per_page '123');
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id FROM ic.contacts)
INSERT INTO pages SELECT 'contacts', 123, (SELECT count(*) FROM s), (SELECT count(DISTINCT id) FROM s),
  (SELECT count(*) FROM (SELECT id FROM got_contacts EXCEPT SELECT id FROM s) m),
  (SELECT count(*) FROM (SELECT id FROM s EXCEPT SELECT id FROM got_contacts) e);
\set n `python3 test/fakectl.py count --path /contacts`
UPDATE pages SET requests = :n WHERE stream = 'contacts' AND per_page = 123;
ALTER SERVER fake OPTIONS (SET per_page '124');
\! python3 test/fakectl.py log-clear
WITH s AS MATERIALIZED (SELECT id FROM ic.contacts)
INSERT INTO pages SELECT 'contacts', 124, (SELECT count(*) FROM s), (SELECT count(DISTINCT id) FROM s),
  (SELECT count(*) FROM (SELECT id FROM got_contacts EXCEPT SELECT id FROM s) m),
  (SELECT count(*) FROM (SELECT id FROM s EXCEPT SELECT id FROM got_contacts) e);
\set n `python3 test/fakectl.py count --path /contacts`
UPDATE pages SET requests = :n WHERE stream = 'contacts' AND per_page = 124;
ALTER SERVER fake OPTIONS (DROP per_page);
SELECT *, ceil(rows::numeric / per_page) AS pages_needed FROM pages ORDER BY stream, per_page;

-- the same, with per_page 1 on a per-conversation scan: one listing request
-- per conversation plus one GET per conversation
ALTER SERVER fake OPTIONS (ADD per_page '1');
\! python3 test/fakectl.py log-clear
SELECT count(*) AS parts, count(DISTINCT id) AS distinct_parts,
       count(DISTINCT conversation_id) AS conversations
FROM ic.conversation_parts;
\! python3 test/fakectl.py count --path /conversations
ALTER SERVER fake OPTIONS (DROP per_page);

-- ---------------------------------------------------------------------------
-- Streams with no rows at all
-- ---------------------------------------------------------------------------
\! python3 test/fakectl.py delete tags --count 12
SELECT count(*) AS tags FROM ic.tags;
\! python3 test/fakectl.py delete companies --count 37
SELECT count(*) AS companies FROM ic.companies;
\! python3 test/fakectl.py delete conversations --count 42
SELECT count(*) AS conversations FROM ic.conversations;
SELECT count(*) AS conversation_parts FROM ic.conversation_parts;
\! python3 test/fakectl.py reset
SELECT count(*) AS tags FROM ic.tags;

-- ---------------------------------------------------------------------------
-- Company scroll restarts: a 500 or an expired scroll in the middle restarts
-- the scroll; the result equals the clean run, without duplicates.  Ten
-- companies per scroll page make four pages and the final empty one.
-- ---------------------------------------------------------------------------
\! python3 test/fakectl.py config scroll_page_size=10
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE clean AS SELECT * FROM ic.companies;
\! python3 test/fakectl.py count --path /companies/scroll
SELECT count(*), count(DISTINCT id),
       (SELECT count(*) FROM (SELECT id, name, updated_at FROM clean
                              EXCEPT SELECT id, name, updated_at FROM got_companies) x) AS diff
FROM clean;
\! python3 test/fakectl.py fault scroll_500 --path /companies/scroll --after 1
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE after_500 AS SELECT * FROM ic.companies;
-- 1 page, the 500, then 4 pages and the empty one again: 7 requests
\! python3 test/fakectl.py count --path /companies/scroll
SELECT count(*) AS rows, count(DISTINCT id) AS distinct_ids,
  (SELECT count(*) FROM (SELECT id, name, updated_at, monthly_spend FROM clean
     EXCEPT SELECT id, name, updated_at, monthly_spend FROM after_500) x) AS missing,
  (SELECT count(*) FROM (SELECT id, name, updated_at, monthly_spend FROM after_500
     EXCEPT SELECT id, name, updated_at, monthly_spend FROM clean) x) AS extra
FROM after_500;
\! python3 test/fakectl.py fault scroll_expire --path /companies/scroll --after 2
\! python3 test/fakectl.py log-clear
CREATE TEMP TABLE after_expire AS SELECT * FROM ic.companies;
-- 2 pages, the 404 of the expired scroll, then 4 pages and the empty one: 8
\! python3 test/fakectl.py count --path /companies/scroll
SELECT count(*) AS rows, count(DISTINCT id) AS distinct_ids,
  (SELECT count(*) FROM (SELECT id, name, updated_at, monthly_spend FROM clean
     EXCEPT SELECT id, name, updated_at, monthly_spend FROM after_expire) x) AS missing,
  (SELECT count(*) FROM (SELECT id, name, updated_at, monthly_spend FROM after_expire
     EXCEPT SELECT id, name, updated_at, monthly_spend FROM clean) x) AS extra
FROM after_expire;

-- scroll_exists: another client holds the scroll for 3 seconds; the scan
-- waits it out and then returns every company
\! python3 test/fakectl.py log-clear
\! python3 test/fakectl.py scroll-hold 3
SELECT count(*) AS rows, count(DISTINCT id) AS distinct_ids FROM ic.companies;
\! test "$(python3 test/fakectl.py log | grep -c '^GET /companies/scroll 400')" -ge 1 && echo "waited for scroll_exists"

-- A LIMIT reads GET /companies by page number and opens no scroll: a scan
-- stopped early leaves nothing to block the next one, which opens its scroll
-- at once (no 400 scroll_exists).  Ten per page: LIMIT 25 reads three pages.
ALTER SERVER fake OPTIONS (ADD per_page '10');
\! python3 test/fakectl.py log-clear
EXPLAIN (COSTS OFF) SELECT * FROM ic.companies LIMIT 25;
CREATE TEMP TABLE limited AS SELECT * FROM ic.companies LIMIT 25;
SELECT count(*) AS rows, count(DISTINCT id) AS distinct_ids,
  (SELECT count(*) FROM (SELECT id, name, updated_at, monthly_spend FROM limited
     EXCEPT SELECT id, name, updated_at, monthly_spend FROM clean) x) AS not_in_full_scan
FROM limited;
SELECT count(*) AS rows FROM (SELECT id FROM ic.companies LIMIT 3) x;
SELECT count(*) AS rows, count(DISTINCT id) AS distinct_ids FROM ic.companies;
\! python3 test/fakectl.py log | cut -d' ' -f1,2,3 | sed 's/scroll_param=[-0-9a-f]*/scroll_param=.../'
ALTER SERVER fake OPTIONS (DROP per_page);
\! python3 test/fakectl.py reset

-- ---------------------------------------------------------------------------
-- conversation_parts: a conversation that vanished (404) between listing and
-- opening is skipped; the others are all returned
-- ---------------------------------------------------------------------------
\! python3 test/fakectl.py fault 404 --path /conversations/100003 --method GET
SELECT count(*) AS parts, count(DISTINCT conversation_id) AS conversations,
       count(*) FILTER (WHERE conversation_id = '100003') AS parts_of_100003
FROM ic.conversation_parts;
SELECT count(*) AS fake_parts_without_100003,
       count(DISTINCT r->>'conversation_id') AS fake_conversations_with_parts
FROM raw_conversation_parts WHERE r->>'conversation_id' <> '100003';
\! python3 test/fakectl.py fault 404 --path /conversations/100003 --method GET
\i sql/include/explain.sql
SELECT * FROM pg_temp.explain_analyze($$SELECT id FROM ic.conversation_parts$$);
\! python3 test/fakectl.py faults-clear

-- ---------------------------------------------------------------------------
-- The conversation with more than 500 parts: the API returns the 500 most
-- recent; conversation_total_parts is the list's total_count (500), and the
-- conversation's statistics tell the real number (612)
-- ---------------------------------------------------------------------------
SELECT conversation_id, count(*) AS parts_read, max(conversation_total_parts) AS total_parts,
       min(id) AS first_part, max(id) AS last_part
FROM got_conversation_parts WHERE conversation_id = '100007' GROUP BY 1;
SELECT p.conversation_id,
       count(*) AS parts_read,
       max(p.conversation_total_parts) AS parts_in_list,
       (c.statistics->>'count_conversation_parts')::bigint AS parts_total
FROM got_conversation_parts p
JOIN got_conversations c ON c.id = p.conversation_id
GROUP BY p.conversation_id, (c.statistics->>'count_conversation_parts')::bigint
HAVING count(*) < (c.statistics->>'count_conversation_parts')::bigint
ORDER BY 1;
-- every other conversation's parts are complete
SELECT count(*) AS conversations_complete FROM (
  SELECT p.conversation_id FROM got_conversation_parts p
  JOIN got_conversations c ON c.id = p.conversation_id
  GROUP BY p.conversation_id, c.statistics
  HAVING count(*) = max(p.conversation_total_parts)
     AND count(*) = coalesce((c.statistics->>'count_conversation_parts')::bigint, count(*))) s;

-- ---------------------------------------------------------------------------
-- Generic plans: a prepared statement executed 7 times with new parameters
-- (after the fifth execution a generic plan is what is forced anyway)
-- ---------------------------------------------------------------------------
SET plan_cache_mode = force_generic_plan;
PREPARE c_since(timestamptz) AS
  SELECT count(*), min(updated_at), max(updated_at) FROM ic.contacts WHERE updated_at >= $1;
CREATE TEMP TABLE gen(k int, v timestamptz, got bigint);
EXECUTE c_since('1960-01-01+00') \gset g_
INSERT INTO gen VALUES (1, '1960-01-01+00', :g_count);
EXECUTE c_since('2019-06-01+00') \gset g_
INSERT INTO gen VALUES (2, '2019-06-01+00', :g_count);
EXECUTE c_since('2021-03-11 07:59:59+00') \gset g_
INSERT INTO gen VALUES (3, '2021-03-11 07:59:59+00', :g_count);
EXECUTE c_since('2021-03-11 08:00:00+00') \gset g_
INSERT INTO gen VALUES (4, '2021-03-11 08:00:00+00', :g_count);
EXECUTE c_since('2023-01-01+00') \gset g_
INSERT INTO gen VALUES (5, '2023-01-01+00', :g_count);
EXECUTE c_since('2025-06-15 12:00:00+00') \gset g_
INSERT INTO gen VALUES (6, '2025-06-15 12:00:00+00', :g_count);
EXECUTE c_since('2030-01-01+00') \gset g_
INSERT INTO gen VALUES (7, '2030-01-01+00', :g_count);
EXPLAIN (COSTS OFF) EXECUTE c_since('2023-01-01+00');
SELECT g.k, g.v, g.got,
  (SELECT count(*) FROM raw_contacts WHERE to_timestamp((r->>'updated_at')::bigint) >= g.v) AS want
FROM gen g ORDER BY k;
DEALLOCATE c_since;

PREPARE p_parts(text) AS
  SELECT count(*), count(DISTINCT id), coalesce(min(conversation_id), '-') AS min, max(conversation_id)
  FROM ic.conversation_parts WHERE conversation_id = $1;
CREATE TEMP TABLE gen2(k int, v text, got bigint, conv text);
EXECUTE p_parts('100000') \gset g_
INSERT INTO gen2 VALUES (1, '100000', :g_count, :'g_min');
EXECUTE p_parts('100007') \gset g_
INSERT INTO gen2 VALUES (2, '100007', :g_count, :'g_min');
EXECUTE p_parts('100041') \gset g_
INSERT INTO gen2 VALUES (3, '100041', :g_count, :'g_min');
EXECUTE p_parts('100004') \gset g_
INSERT INTO gen2 VALUES (4, '100004', :g_count, :'g_min');
EXECUTE p_parts('999999') \gset g_
INSERT INTO gen2 VALUES (5, '999999', :g_count, :'g_min');
EXECUTE p_parts('100036') \gset g_
INSERT INTO gen2 VALUES (6, '100036', :g_count, :'g_min');
EXECUTE p_parts('100001') \gset g_
INSERT INTO gen2 VALUES (7, '100001', :g_count, :'g_min');
SELECT g.k, g.v, g.got, g.conv,
  (SELECT count(*) FROM raw_conversation_parts WHERE r->>'conversation_id' = g.v) AS want
FROM gen2 g ORDER BY k;
DEALLOCATE p_parts;
RESET plan_cache_mode;

-- ---------------------------------------------------------------------------
-- Request counts: a LIMIT stops after one page; conversation_id = X is one GET
-- ---------------------------------------------------------------------------
\! python3 test/fakectl.py log-clear
SELECT * FROM ic.contacts LIMIT 10 \g /dev/null
\! python3 test/fakectl.py count
\! python3 test/fakectl.py log
\! python3 test/fakectl.py log-clear
SELECT count(*) FROM ic.conversation_parts WHERE conversation_id = '100003';
\! python3 test/fakectl.py count
\! python3 test/fakectl.py log | cut -c1-40

-- ---------------------------------------------------------------------------
-- count(*) reads no column: its pages are skimmed (records counted, not
-- parsed).  Every stream must count the same as a scan that parses a column,
-- nasty strings (escaped quotes, trailing backslashes, brackets) included.
-- ---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.rows_counted(stream text, what text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(%s) FROM ic.%I', what, stream) INTO n;
    RETURN n;
END $$;
SELECT stream, pg_temp.rows_counted(stream, '*') AS skimmed,
       pg_temp.rows_counted(stream, format('%I IS NULL', primary_key)) AS parsed
  FROM intercom_fdw.streams()
 WHERE stream <> 'macros'      -- API 2.16 only, not imported here: macros.sql counts it
 ORDER BY stream;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM ic.contacts;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM ic.companies;
