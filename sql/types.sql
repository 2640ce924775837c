-- Conversion rules (src/convert.c): the declared column type decides how a
-- JSON value is read; path options reach nested fields or the whole record.
-- Every converted value is compared with the fake's JSON converted
-- independently in SQL.
\i sql/include/setup.sql
-- a zone far from UTC, so that timestamp vs timestamptz mistakes show
SET timezone = 'America/New_York';

CREATE TEMP TABLE raw_contacts(r jsonb);
\copy raw_contacts FROM PROGRAM 'python3 test/fakectl.py dump contacts' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP TABLE raw_conversations(r jsonb);
\copy raw_conversations FROM PROGRAM 'python3 test/fakectl.py dump conversations' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')

CREATE FOREIGN TABLE ty_contacts (
  id text,
  created_ts timestamptz OPTIONS (path 'created_at'),     -- epoch seconds
  created_plain timestamp OPTIONS (path 'created_at'),    -- UTC wall clock
  created_num bigint OPTIONS (path 'created_at'),
  created_text text OPTIONS (path 'created_at'),
  signed_up_at timestamptz,                               -- negative and null
  location_text text OPTIONS (path 'location'),           -- an object as JSON text
  country text OPTIONS (path 'location.country'),
  country_code varchar(2) OPTIONS (path 'location.country_code'),
  email_json jsonb OPTIONS (path 'email'),                -- a string stays a JSON string
  email_via_string text OPTIONS (path 'email.nothing'),   -- through a non-object: null
  seats bigint OPTIONS (path 'custom_attributes.seats'),
  seats_ts timestamptz OPTIONS (path 'custom_attributes.seats'),  -- 2^40: milliseconds
  score float8 OPTIONS (path 'custom_attributes.score'),
  score_num numeric OPTIONS (path 'custom_attributes.score'),
  score_text text OPTIONS (path 'custom_attributes.score'),
  is_vip boolean OPTIONS (path 'custom_attributes.is_vip'),
  is_vip_text text OPTIONS (path 'custom_attributes.is_vip'),
  trial_ends timestamptz OPTIONS (path 'custom_attributes.trial_ends'),
  plan_tier text OPTIONS (path 'custom_attributes.Plan Tier'),
  weird text OPTIONS (path 'custom_attributes.weird "quote"'),
  unicode_key text OPTIONS (path 'custom_attributes.ünïcode_ключ'),
  has_hard_bounced text,                                  -- boolean as text
  owner_num numeric OPTIONS (path 'owner_id'),
  absent text OPTIONS (path 'no.such.field'),
  whole jsonb OPTIONS (path '$')
) SERVER fake OPTIONS (stream 'contacts');

CREATE TEMP TABLE got_contacts AS SELECT * FROM ty_contacts;
CREATE TEMP VIEW want_contacts AS SELECT
  r->>'id' AS id,
  to_timestamp((r->>'created_at')::bigint) AS created_ts,
  to_timestamp((r->>'created_at')::bigint) AT TIME ZONE 'UTC' AS created_plain,
  (r->>'created_at')::bigint AS created_num,
  r->>'created_at' AS created_text,
  to_timestamp((r->>'signed_up_at')::bigint) AS signed_up_at,
  r->'location' AS location_json,
  r->'location'->>'country' AS country,
  r->'location'->>'country_code' AS country_code,
  nullif(r->'email', 'null') AS email_json,
  NULL::text AS email_via_string,
  (r->'custom_attributes'->>'seats')::bigint AS seats,
  CASE WHEN abs((r->'custom_attributes'->>'seats')::numeric) > 1e11
       THEN to_timestamp((r->'custom_attributes'->>'seats')::numeric / 1000)
       ELSE to_timestamp((r->'custom_attributes'->>'seats')::numeric) END AS seats_ts,
  (r->'custom_attributes'->>'score')::float8 AS score,
  (r->'custom_attributes'->>'score')::numeric AS score_num,
  (r->'custom_attributes'->>'score')::numeric AS score_text,
  (r->'custom_attributes'->>'is_vip')::boolean AS is_vip,
  r->'custom_attributes'->>'is_vip' AS is_vip_text,
  to_timestamp((r->'custom_attributes'->>'trial_ends')::bigint) AS trial_ends,
  r->'custom_attributes'->>'Plan Tier' AS plan_tier,
  r->'custom_attributes'->>'weird "quote"' AS weird,
  r->'custom_attributes'->>'ünïcode_ключ' AS unicode_key,
  r->>'has_hard_bounced' AS has_hard_bounced,
  (r->>'owner_id')::numeric AS owner_num,
  NULL::text AS absent,
  r AS whole
FROM raw_contacts;

-- every column of every row, both ways (a text column holding an object is
-- compared as JSON, and one holding a number as a number, since only their
-- meaning is fixed, not their spelling)
SELECT (SELECT count(*) FROM got_contacts) AS fdw_rows,
       (SELECT count(*) FROM raw_contacts) AS fake_rows,
       (SELECT count(*) FROM (
          SELECT id, created_ts, created_plain, created_num, created_text, signed_up_at,
                 location_text::jsonb, country, country_code, email_json, email_via_string,
                 seats, seats_ts, score, score_num, score_text::numeric, is_vip, is_vip_text,
                 trial_ends, plan_tier, weird, unicode_key, has_hard_bounced, owner_num,
                 absent, whole FROM got_contacts
          EXCEPT ALL SELECT * FROM want_contacts) x) AS fdw_not_in_fake,
       (SELECT count(*) FROM (
          SELECT * FROM want_contacts EXCEPT ALL
          SELECT id, created_ts, created_plain, created_num, created_text, signed_up_at,
                 location_text::jsonb, country, country_code, email_json, email_via_string,
                 seats, seats_ts, score, score_num, score_text::numeric, is_vip, is_vip_text,
                 trial_ends, plan_tier, weird, unicode_key, has_hard_bounced, owner_num,
                 absent, whole FROM got_contacts) x) AS fake_not_in_fdw;

-- per column, so a failure says where
SELECT c.col, count(*) FILTER (WHERE c.mismatch) AS mismatches
FROM got_contacts g JOIN want_contacts w ON w.id = g.id
CROSS JOIN LATERAL (VALUES
  ('created_ts', g.created_ts IS DISTINCT FROM w.created_ts),
  ('created_plain', g.created_plain IS DISTINCT FROM w.created_plain),
  ('created_num', g.created_num IS DISTINCT FROM w.created_num),
  ('created_text', g.created_text IS DISTINCT FROM w.created_text),
  ('signed_up_at', g.signed_up_at IS DISTINCT FROM w.signed_up_at),
  ('location_text', g.location_text::jsonb IS DISTINCT FROM w.location_json),
  ('country', g.country IS DISTINCT FROM w.country),
  ('country_code', g.country_code IS DISTINCT FROM w.country_code),
  ('email_json', g.email_json IS DISTINCT FROM w.email_json),
  ('email_via_string', g.email_via_string IS NOT NULL),
  ('seats', g.seats IS DISTINCT FROM w.seats),
  ('seats_ts', g.seats_ts IS DISTINCT FROM w.seats_ts),
  ('score', g.score IS DISTINCT FROM w.score),
  ('score_num', g.score_num IS DISTINCT FROM w.score_num),
  ('score_text', g.score_text::numeric IS DISTINCT FROM w.score_text),
  ('is_vip', g.is_vip IS DISTINCT FROM w.is_vip),
  ('is_vip_text', g.is_vip_text IS DISTINCT FROM w.is_vip_text),
  ('trial_ends', g.trial_ends IS DISTINCT FROM w.trial_ends),
  ('plan_tier', g.plan_tier IS DISTINCT FROM w.plan_tier),
  ('weird', g.weird IS DISTINCT FROM w.weird),
  ('unicode_key', g.unicode_key IS DISTINCT FROM w.unicode_key),
  ('has_hard_bounced', g.has_hard_bounced IS DISTINCT FROM w.has_hard_bounced),
  ('owner_num', g.owner_num IS DISTINCT FROM w.owner_num),
  ('absent', g.absent IS NOT NULL),
  ('whole', g.whole IS DISTINCT FROM w.whole)) AS c(col, mismatch)
GROUP BY c.col ORDER BY c.col;

-- some of the values themselves
SELECT id, created_ts, created_plain, created_num, created_text
FROM got_contacts ORDER BY id LIMIT 4;
SELECT id, signed_up_at, trial_ends FROM got_contacts
WHERE signed_up_at < '1970-01-01' OR trial_ends < '1970-01-01' ORDER BY id LIMIT 5;
SELECT DISTINCT seats, seats_ts FROM got_contacts ORDER BY seats NULLS LAST;
SELECT id, location_text, country, country_code FROM got_contacts ORDER BY id LIMIT 6;
SELECT id, email_json, jsonb_typeof(email_json) AS json_type FROM got_contacts
ORDER BY id LIMIT 3;
SELECT DISTINCT score, trim_scale(score_num) AS score_num FROM got_contacts ORDER BY 2 NULLS LAST;
SELECT DISTINCT is_vip, is_vip_text, has_hard_bounced FROM got_contacts ORDER BY 1, 2, 3;
SELECT DISTINCT plan_tier, weird, unicode_key FROM got_contacts ORDER BY 1, 2, 3;
SELECT id, whole->>'name' AS name, whole->'location'->>'city' AS city,
       jsonb_typeof(whole) AS json_type FROM got_contacts ORDER BY id LIMIT 3;

-- conversations: ids sent as strings read as numbers and as epoch seconds,
-- paths three levels deep
CREATE FOREIGN TABLE ty_conversations (
  id text,
  id_num bigint OPTIONS (path 'id'),
  id_int integer OPTIONS (path 'id'),
  id_ts timestamptz OPTIONS (path 'id'),
  statistics_text text OPTIONS (path 'statistics'),
  parts bigint OPTIONS (path 'statistics.count_conversation_parts'),
  first_close timestamptz OPTIONS (path 'statistics.first_close_at'),
  author_name text OPTIONS (path 'source.author.name'),
  tag_list jsonb OPTIONS (path 'tags.tags'),
  admin_assignee numeric OPTIONS (path 'admin_assignee_id'),
  open_text text OPTIONS (path 'open'),
  read boolean,
  sla_name text OPTIONS (path 'sla_applied.sla_name')
) SERVER fake OPTIONS (stream 'conversations');
CREATE TEMP TABLE got_conv AS SELECT * FROM ty_conversations;
SELECT count(*) AS rows,
  count(*) FILTER (WHERE g.id_num IS DISTINCT FROM (r->>'id')::bigint
    OR g.id_int IS DISTINCT FROM (r->>'id')::int
    OR g.id_ts IS DISTINCT FROM to_timestamp((r->>'id')::bigint)
    OR g.statistics_text::jsonb IS DISTINCT FROM nullif(r->'statistics', 'null')
    OR g.parts IS DISTINCT FROM (r->'statistics'->>'count_conversation_parts')::bigint
    OR g.first_close IS DISTINCT FROM to_timestamp((r->'statistics'->>'first_close_at')::bigint)
    OR g.author_name IS DISTINCT FROM r->'source'->'author'->>'name'
    OR g.tag_list IS DISTINCT FROM r->'tags'->'tags'
    OR g.admin_assignee IS DISTINCT FROM (r->>'admin_assignee_id')::numeric
    OR g.open_text IS DISTINCT FROM r->>'open'
    OR g.read IS DISTINCT FROM (r->>'read')::boolean
    OR g.sla_name IS DISTINCT FROM r->'sla_applied'->>'sla_name') AS mismatches
FROM got_conv g FULL JOIN raw_conversations x ON x.r->>'id' = g.id;
SELECT id, id_num, id_int, id_ts, parts, first_close, author_name, open_text, sla_name
FROM got_conv ORDER BY id LIMIT 6;
SELECT id, tag_list, admin_assignee FROM got_conv WHERE tag_list <> '[]' ORDER BY id LIMIT 3;

-- ---------------------------------------------------------------------------
-- Conversion errors name the table, column, stream, record id and value, and
-- the backend carries on
-- ---------------------------------------------------------------------------
CREATE FOREIGN TABLE ty_bad_tags (id text, name integer) SERVER fake OPTIONS (stream 'tags');
SELECT * FROM ty_bad_tags;
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS still_alive;
-- only the columns a query reads are converted
SELECT id FROM ty_bad_tags ORDER BY id::int LIMIT 3;
SELECT count(*) FROM ic.tags;
CREATE FOREIGN TABLE ty_bad_tags_ts (id text, name timestamptz) SERVER fake OPTIONS (stream 'tags');
SELECT * FROM ty_bad_tags_ts;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ty_bad_contacts (
  id text,
  location boolean,
  seats integer OPTIONS (path 'custom_attributes.seats'),
  social numeric OPTIONS (path 'social_profiles'),
  tags_ts timestamptz OPTIONS (path 'tags.data'),
  unsub bigint OPTIONS (path 'unsubscribed_from_emails'),
  name_num float8 OPTIONS (path 'name')
) SERVER fake OPTIONS (stream 'contacts');
SELECT location FROM ty_bad_contacts;
\echo :LAST_ERROR_SQLSTATE
SELECT seats FROM ty_bad_contacts;
\echo :LAST_ERROR_SQLSTATE
SELECT social FROM ty_bad_contacts;
\echo :LAST_ERROR_SQLSTATE
SELECT tags_ts FROM ty_bad_contacts;
\echo :LAST_ERROR_SQLSTATE
SELECT unsub FROM ty_bad_contacts;
\echo :LAST_ERROR_SQLSTATE
SELECT name_num FROM ty_bad_contacts;
\echo :LAST_ERROR_SQLSTATE
-- after all those errors the same session still reads everything
SELECT count(*) AS contacts, count(DISTINCT id) AS ids FROM ic.contacts;
SELECT count(*) AS rows FROM ty_contacts;

-- a date column over an epoch: the moment's date in the session's time zone
-- (America/New_York here), as created_at::date would give
CREATE FOREIGN TABLE ty_dates (id text, created_day date OPTIONS (path 'created_at'))
  SERVER fake OPTIONS (stream 'contacts');
SELECT count(*) AS rows,
       count(*) FILTER (WHERE d.created_day IS DISTINCT FROM
                        to_timestamp((c.r->>'created_at')::bigint)::date) AS mismatches
  FROM ty_dates d JOIN raw_contacts c ON c.r->>'id' = d.id;
DROP FOREIGN TABLE ty_dates;
