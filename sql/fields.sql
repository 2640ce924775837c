-- Every field Intercom sends arrives (issue 21): the _extra column holds the
-- top-level fields no other column of the table reads, exactly as sent,
-- in a live scan and in a materialized copy; a field the fake starts
-- sending (fakectl new-field) is there at once.
\i sql/include/setup.sql
SET timezone = 'UTC';
SET intercom_fdw.progress = off;
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS fields_copy, fields_hand, fields_re CASCADE;
RESET client_min_messages;

-- The fake's data as JSON lines (fakectl dump): the independent truth.
CREATE TEMP TABLE dump (stream text, rec jsonb);
CREATE TEMP TABLE dump_in (rec jsonb);
CREATE FUNCTION pg_temp.take_dump(s text) RETURNS void LANGUAGE sql AS $$
    DELETE FROM dump WHERE stream = s;
    INSERT INTO dump SELECT s, rec FROM dump_in;
    TRUNCATE dump_in;
$$;
-- a record without the fields the table's other columns read (their first
-- path key; '$' reads no field in particular)
CREATE FUNCTION pg_temp.unread(rec jsonb, tbl regclass) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT rec - coalesce(array_agg(split_part(coalesce(
               (SELECT substr(o, 6) FROM unnest(a.attfdwoptions) o WHERE o LIKE 'path=%'),
               a.attname), '.', 1)), '{}')
      FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> '_extra'
$$;

-- 1. Every imported table ends with _extra jsonb (custom attribute columns
--    would follow it), commented.
SELECT count(*) AS tables,
       count(*) FILTER (WHERE a.attname = '_extra' AND a.atttypid = 'jsonb'::regtype
                          AND a.attnum = (SELECT max(attnum) FROM pg_attribute x
                                           WHERE x.attrelid = c.oid AND NOT x.attisdropped)) AS last_column_extra
  FROM pg_class c
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = '_extra'
 WHERE c.relnamespace = 'ic'::regnamespace AND c.relkind = 'f';
SELECT col_description('ic.contacts'::regclass,
                       (SELECT attnum FROM pg_attribute WHERE attrelid = 'ic.contacts'::regclass
                           AND attname = '_extra')) AS comment;

-- 2. contacts: _extra is each record minus the fields the other columns
--    read, value for value (jsonb equality), for every contact.
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump contacts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('contacts');
SELECT count(*) AS contacts,
       count(*) FILTER (WHERE c._extra = pg_temp.unread(d.rec, 'ic.contacts')) AS extra_matches,
       count(*) FILTER (WHERE c._extra = '{}') AS empty
  FROM ic.contacts c JOIN dump d ON d.stream = 'contacts' AND d.rec ->> 'id' = c.id;
-- which fields the fake sends that contacts has no column for (today)
SELECT k AS unread_field, count(*) AS contacts
  FROM ic.contacts c, jsonb_object_keys(c._extra) k GROUP BY k ORDER BY k;

-- 3. A field Intercom starts sending arrives in _extra without a release:
--    exact numbers, strings and objects; updated_at does not move.
\! python3 test/fakectl.py new-field contacts 'ai_summary={"text":"Wants SSO ✨","sentiment":0.30000000000000004}' 'lifetime_value=18446744073709551617'
SELECT _extra -> 'ai_summary' AS ai_summary, _extra -> 'lifetime_value' AS lifetime_value,
       (_extra ->> 'lifetime_value')::numeric = 18446744073709551617 AS exact
  FROM ic.contacts ORDER BY id LIMIT 2;
SELECT count(*) FILTER (WHERE _extra ? 'ai_summary' AND _extra ? 'lifetime_value') AS with_new_fields,
       count(*) AS contacts
  FROM ic.contacts;
-- by id (one GET) and through a pushed-down search alike
SELECT _extra -> 'lifetime_value' AS by_id FROM ic.contacts
 WHERE id = (SELECT id FROM ic.contacts ORDER BY id LIMIT 1);
SELECT count(*) FILTER (WHERE _extra ? 'ai_summary') AS searched
  FROM ic.contacts WHERE updated_at > '2024-01-01';
-- and the dump agrees record for record
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump contacts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('contacts');
SELECT count(*) FILTER (WHERE c._extra IS DISTINCT FROM pg_temp.unread(d.rec, 'ic.contacts')) AS differences
  FROM ic.contacts c JOIN dump d ON d.stream = 'contacts' AND d.rec ->> 'id' = c.id;

-- 4. Only the catch-all, or all but it: the same rows and values.
EXPLAIN (VERBOSE, COSTS OFF) SELECT _extra FROM ic.contacts;
SELECT (SELECT count(*) FROM ic.contacts WHERE _extra ? 'ai_summary') AS extra_only,
       (SELECT count(*) FROM ic.contacts WHERE email IS NOT NULL) AS without_extra;

-- 5. "Other columns" are the table's own: a table declared by hand with
--    fewer columns gets the rest in _extra, a column reading a nested path
--    claims its whole top-level field, a column of the whole record none.
CREATE SCHEMA fields_hand;
CREATE FOREIGN TABLE fields_hand.contacts (
  id text, email text,
  tier text OPTIONS (path 'custom_attributes.Plan Tier'),
  everything jsonb OPTIONS (path '$'),
  leftovers jsonb OPTIONS (path '_extra')
) SERVER fake OPTIONS (stream 'contacts');
SELECT count(*) AS contacts,
       count(*) FILTER (WHERE h.leftovers = d.rec - 'id' - 'email' - 'custom_attributes') AS rest_matches,
       count(*) FILTER (WHERE h.everything = d.rec) AS whole_matches,
       count(*) FILTER (WHERE h.leftovers ? 'name' AND NOT h.leftovers ? 'email') AS has_name_not_email
  FROM fields_hand.contacts h JOIN dump d ON d.stream = 'contacts' AND d.rec ->> 'id' = h.id;

-- 6. {} when every field has a column; parts and link tables alike.
SELECT 'tags' AS tbl, count(*) AS rows, count(*) FILTER (WHERE _extra = '{}') AS empty FROM ic.tags
UNION ALL
SELECT 'contact_tags', count(*), count(*) FILTER (WHERE _extra = '{}') FROM ic.contact_tags
UNION ALL
SELECT 'team_admins', count(*), count(*) FILTER (WHERE _extra = '{}') FROM ic.team_admins;
-- conversation parts: the scan's stamps (conversation_id ...) are columns
SELECT count(*) AS parts, count(*) FILTER (WHERE _extra ?| array['conversation_id', 'conversation_total_parts']) AS stamps_in_extra
  FROM ic.conversation_parts WHERE conversation_id IN (SELECT id FROM ic.conversations ORDER BY id LIMIT 3);

-- 7. A materialized copy carries _extra, new fields included.
CREATE SCHEMA fields_copy;
SELECT method, rows_upserted FROM intercom_fdw.materialize('ic.contacts', 'fields_copy.contacts');
SELECT count(*) AS copied,
       count(*) FILTER (WHERE _extra -> 'lifetime_value' = '18446744073709551617') AS with_new_field
  FROM fields_copy.contacts;
SELECT count(*) FILTER (WHERE c._extra IS DISTINCT FROM f._extra) AS differences
  FROM ic.contacts c JOIN fields_copy.contacts f USING (id);


-- 9. The columns issue 21 added read what the fake sends, value for value
--    (as text: ids the API sends as integers are text columns), and the
--    fake sends values for them.
CREATE FUNCTION pg_temp.check_columns(tab text, stream text, cols text[])
RETURNS TABLE (table_name text, rows bigint, same bigint, with_values bigint) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'SELECT %L::text, count(*), count(*) FILTER (WHERE ok), count(*) FILTER (WHERE nn)
       FROM (SELECT (SELECT bool_and((d.rec -> k) #>> ''{}'' IS NOT DISTINCT FROM (to_jsonb(x) -> k) #>> ''{}'')
                       FROM unnest($1) k) AS ok,
                    (SELECT bool_or((to_jsonb(x) -> k) #>> ''{}'' IS NOT NULL) FROM unnest($1) k) AS nn
               FROM %s x JOIN dump d ON d.stream = %L AND d.rec ->> ''id'' = x.id) s',
    tab, tab, stream) USING cols;
END $$;
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump contacts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('contacts');
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump conversations' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('conversations');
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump admins' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('admins');
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump teams' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('teams');
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump tickets' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('tickets');
\copy dump_in (rec) FROM PROGRAM 'python3 test/fakectl.py dump ticket_types' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT pg_temp.take_dump('ticket_types');
SELECT * FROM pg_temp.check_columns('ic.contacts', 'contacts', '{enabled_push_messaging,formatted_phone,merge_history,opted_in_subscription_types,opted_out_subscription_types,referrer,sms_consent,unsubscribed_from_sms,utm_campaign,utm_content,utm_medium,utm_source,utm_term}')
UNION ALL
SELECT * FROM pg_temp.check_columns('ic.conversations', 'conversations', '{ai_agent,ai_agent_participated,channel,company,external_references,linked_objects,monitor_evaluations,sales_agent,sales_agent_participated,scorecards,ticket,topics}')
UNION ALL
SELECT * FROM pg_temp.check_columns('ic.admins', 'admins', '{away_status_reason_id,role}')
UNION ALL
SELECT * FROM pg_temp.check_columns('ic.teams', 'teams', '{assignment_limit,distribution_method}')
UNION ALL
SELECT * FROM pg_temp.check_columns('ic.tickets', 'tickets', '{ticket_state_external_label,ticket_state_internal_label}')
UNION ALL
SELECT * FROM pg_temp.check_columns('ic.ticket_types', 'ticket_types', '{is_internal}');
-- parts: the documented fields, with values on some parts
SELECT count(*) AS parts,
       count(*) FILTER (WHERE event_details = '{"action": {"name": "Jira Create Issue"}}') AS jira_actions,
       count(*) FILTER (WHERE jsonb_array_length(tags) > 0) AS tagged,
       count(*) FILTER (WHERE app_package_code IS NOT NULL) AS from_apps,
       count(*) FILTER (WHERE email_message_metadata ? 'subject') AS emails,
       string_agg(DISTINCT state, ',') AS states
  FROM ic.conversation_parts WHERE conversation_id IN (SELECT id FROM ic.conversations ORDER BY id LIMIT 5);
-- articles: statistics come with GET /articles/{id} only
SELECT count(*) AS listed, count(statistics) AS with_statistics FROM ic.articles;
SELECT statistics ->> 'views' AS views FROM ic.articles WHERE id = '40';

-- 8. A field becomes a column when you want it: IMPORT FOREIGN SCHEMA run
--    again over an existing schema adds the columns the tables lack, never
--    dropping or retyping one; a copy gains them on its next run.
\! python3 test/fakectl.py reset
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS fields_re CASCADE;
RESET client_min_messages;
CREATE SCHEMA fields_re;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, tags) FROM SERVER fake INTO fields_re
  OPTIONS (custom_attributes 'true');
-- a table as an older release imported it: without utm_source nor _extra
ALTER FOREIGN TABLE fields_re.contacts DROP COLUMN utm_source, DROP COLUMN _extra;
SELECT method, rows_upserted FROM intercom_fdw.materialize('fields_re.contacts', 'fields_copy.contacts_re');
CREATE TEMP TABLE columns_before AS
  SELECT attname, format_type(atttypid, atttypmod) AS type, attfdwoptions
    FROM pg_attribute WHERE attrelid = 'fields_re.contacts'::regclass AND attnum > 0 AND NOT attisdropped;
-- Intercom starts sending three fields and a new custom attribute is defined
\! python3 test/fakectl.py new-field contacts 'ai_summary={"text":"Wants SSO"}' health_score=87 churned_at=1767225600
\! python3 test/fakectl.py new-attribute contact 'churn risk' string '"low"'
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, tags) FROM SERVER fake INTO fields_re
  OPTIONS (custom_attributes 'true', sample_rows '20');
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attfdwoptions,
       col_description(a.attrelid, a.attnum) IS NOT NULL AS commented
  FROM pg_attribute a
 WHERE a.attrelid = 'fields_re.contacts'::regclass AND a.attnum > 0 AND NOT a.attisdropped
   AND a.attname NOT IN (SELECT attname FROM columns_before)
 ORDER BY a.attnum;
-- nothing dropped or retyped
SELECT count(*) AS columns_changed FROM (
  SELECT * FROM columns_before
  EXCEPT SELECT attname, format_type(atttypid, atttypmod), attfdwoptions
    FROM pg_attribute WHERE attrelid = 'fields_re.contacts'::regclass AND attnum > 0 AND NOT attisdropped) d;
-- the new columns read the new fields; _extra no longer holds them
SELECT count(*) AS contacts,
       count(*) FILTER (WHERE health_score = 87 AND churned_at = '2026-01-01 00:00:00+00'
                          AND ai_summary = '{"text": "Wants SSO"}' AND "churn risk" = 'low') AS new_values,
       count(*) FILTER (WHERE _extra = '{}') AS nothing_left_over,
       count(*) FILTER (WHERE utm_source IS NOT NULL) AS with_utm_source
  FROM fields_re.contacts;
-- running it again adds nothing (no NOTICE)
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts) FROM SERVER fake INTO fields_re
  OPTIONS (custom_attributes 'true', sample_rows '20');
-- the copy gains the columns on its next run, which reads every record
SELECT method, rows_upserted FROM intercom_fdw.materialize('fields_re.contacts', 'fields_copy.contacts_re');
SELECT count(*) AS copied,
       count(*) FILTER (WHERE health_score = 87 AND "churn risk" = 'low' AND _extra = '{}') AS filled
  FROM fields_copy.contacts_re;
SELECT count(*) AS differences FROM (
  SELECT * FROM fields_re.contacts EXCEPT SELECT * FROM fields_copy.contacts_re) d;
-- a table of the same name that is not this stream's is still a clash
CREATE TABLE fields_re.teams (id text);
IMPORT FOREIGN SCHEMA intercom LIMIT TO (teams) FROM SERVER fake INTO fields_re;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (tags) FROM SERVER fake INTO fields_re
  OPTIONS (sample_rows 'lots');

\! python3 test/fakectl.py reset
SET client_min_messages = warning;
DROP SCHEMA fields_copy, fields_hand, fields_re CASCADE;
SELECT intercom_fdw.reset('fields_copy.contacts') AND intercom_fdw.reset('fields_copy.contacts_re') AS state_forgotten;
-- their log rows too: other suites list sync_log
DELETE FROM intercom_fdw.sync_log WHERE target LIKE 'fields\_copy.%';
