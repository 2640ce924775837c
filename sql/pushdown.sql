-- pushdown: which WHERE, ORDER BY and LIMIT clauses reach the Intercom API,
-- the exact request the fake receives, and that the rows never differ from
-- a scan without pushdown.
--
-- Rows are compared with pd.chk(query): the query text uses {s} for the
-- schema; it runs once against ic (pushdown on, the requests logged by the
-- fake) and once against loc, a local snapshot of the same streams read
-- through a pushdown 'false' server (no request), and reports the row count
-- and whether both multisets are equal (EXCEPT ALL both ways empty).
-- Requests are shown with `fakectl log --clear-after` after each check.
\i sql/include/setup.sql
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
-- a second server with the same fake, pushdown off, and a schema from it
DROP SERVER IF EXISTS fake_nopd CASCADE;
DROP SCHEMA IF EXISTS ic_nopd CASCADE;
DROP SCHEMA IF EXISTS loc CASCADE;
DROP SCHEMA IF EXISTS pd CASCADE;
DROP SERVER IF EXISTS fake_pp CASCADE;
DROP SCHEMA IF EXISTS ic_pp CASCADE;
CREATE SERVER fake_nopd FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (api_url :'fake_url', retry_base_ms '10', max_retries '3', pushdown 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER fake_nopd OPTIONS (token 'tok_test_1');
CREATE SCHEMA ic_nopd;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, conversations, conversation_parts, companies)
  FROM SERVER fake_nopd INTO ic_nopd;
-- the local snapshot: every stream read in full without pushdown
CREATE SCHEMA loc;
CREATE TABLE loc.contacts AS SELECT * FROM ic_nopd.contacts;
CREATE TABLE loc.conversations AS SELECT * FROM ic_nopd.conversations;
CREATE TABLE loc.conversation_parts AS SELECT * FROM ic_nopd.conversation_parts;
CREATE TABLE loc.companies AS SELECT * FROM ic_nopd.companies;
SELECT (SELECT count(*) FROM loc.contacts) AS contacts,
       (SELECT count(*) FROM loc.conversations) AS conversations,
       (SELECT count(*) FROM loc.conversation_parts) AS parts,
       (SELECT count(*) FROM loc.companies) AS companies;
-- the raw data, to pick boundary values from and to check the snapshot
CREATE TEMP TABLE dump_contacts (j jsonb);
\copy dump_contacts FROM PROGRAM 'python3 test/fakectl.py dump contacts' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
CREATE TEMP TABLE dump_conversations (j jsonb);
\copy dump_conversations FROM PROGRAM 'python3 test/fakectl.py dump conversations' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
CREATE TEMP TABLE dump_parts (j jsonb);
\copy dump_parts FROM PROGRAM 'python3 test/fakectl.py dump conversation_parts' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
-- the snapshot holds exactly the records of the dump
SELECT count(*) AS differences FROM (
  (SELECT id, extract(epoch FROM created_at)::bigint, extract(epoch FROM updated_at)::bigint FROM loc.contacts
   EXCEPT SELECT j->>'id', (j->>'created_at')::bigint, (j->>'updated_at')::bigint FROM dump_contacts)
  UNION ALL
  (SELECT j->>'id', (j->>'created_at')::bigint, (j->>'updated_at')::bigint FROM dump_contacts
   EXCEPT SELECT id, extract(epoch FROM created_at)::bigint, extract(epoch FROM updated_at)::bigint FROM loc.contacts)
  UNION ALL
  (SELECT id, extract(epoch FROM created_at)::bigint, extract(epoch FROM updated_at)::bigint FROM loc.conversations
   EXCEPT SELECT j->>'id', (j->>'created_at')::bigint, (j->>'updated_at')::bigint FROM dump_conversations)
  UNION ALL
  (SELECT j->>'id', (j->>'created_at')::bigint, (j->>'updated_at')::bigint FROM dump_conversations
   EXCEPT SELECT id, extract(epoch FROM created_at)::bigint, extract(epoch FROM updated_at)::bigint FROM loc.conversations)
  UNION ALL
  (SELECT id, (conversation_id)::bigint, extract(epoch FROM updated_at)::bigint FROM loc.conversation_parts
   EXCEPT ALL SELECT j->>'id', (j->>'conversation_id')::bigint, (j->>'updated_at')::bigint FROM dump_parts)
  UNION ALL
  (SELECT j->>'id', (j->>'conversation_id')::bigint, (j->>'updated_at')::bigint FROM dump_parts
   EXCEPT ALL SELECT id, (conversation_id)::bigint, extract(epoch FROM updated_at)::bigint FROM loc.conversation_parts)) d;

CREATE SCHEMA pd;
-- run q on ic and on loc; n = rows with pushdown, same = the multisets agree
CREATE FUNCTION pd.chk(q text, OUT n bigint, OUT same boolean) LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS pd_got;
  EXECUTE 'CREATE TEMP TABLE pd_got AS ' || replace(q, '{s}', 'ic');
  SELECT c.n, c.same INTO n, same FROM pd.cmp(q) c;
END $$;
-- compare the rows already in pd_got with q run on loc
CREATE FUNCTION pd.cmp(q text, OUT n bigint, OUT same boolean) LANGUAGE plpgsql AS $$
DECLARE
  extra bigint;
  missing bigint;
BEGIN
  DROP TABLE IF EXISTS pd_want;
  EXECUTE 'CREATE TEMP TABLE pd_want AS ' || replace(q, '{s}', 'loc');
  SELECT count(*) INTO n FROM pd_got;
  SELECT count(*) INTO extra FROM (TABLE pd_got EXCEPT ALL TABLE pd_want) s;
  SELECT count(*) INTO missing FROM (TABLE pd_want EXCEPT ALL TABLE pd_got) s;
  same := extra = 0 AND missing = 0;
END $$;
-- ordered queries: the sequence of the first output column (the sort key)
-- must be the same as the local one, and the rows the same set
CREATE FUNCTION pd.chk_order(q text, sch text DEFAULT 'ic', OUT n bigint, OUT same boolean, OUT same_order boolean)
LANGUAGE plpgsql AS $$
DECLARE
  got text;
  want text;
BEGIN
  DROP TABLE IF EXISTS pd_got;
  EXECUTE 'CREATE TEMP TABLE pd_got AS SELECT row_number() OVER () AS ord, s.* FROM ('
    || replace(q, '{s}', sch) || ') s';
  DROP TABLE IF EXISTS pd_want;
  EXECUTE 'CREATE TEMP TABLE pd_want AS SELECT row_number() OVER () AS ord, s.* FROM ('
    || replace(q, '{s}', 'loc') || ') s';
  EXECUTE 'SELECT string_agg((to_jsonb(t) -> (SELECT attname FROM pg_attribute'
    || ' WHERE attrelid = ''pd_got''::regclass AND attnum = 2))::text, '','' ORDER BY ord) FROM pd_got t' INTO got;
  EXECUTE 'SELECT string_agg((to_jsonb(t) -> (SELECT attname FROM pg_attribute'
    || ' WHERE attrelid = ''pd_want''::regclass AND attnum = 2))::text, '','' ORDER BY ord) FROM pd_want t' INTO want;
  SELECT count(*) INTO n FROM pd_got;
  same := NOT EXISTS (SELECT 1 FROM ((SELECT to_jsonb(g) - 'ord' FROM pd_got g EXCEPT ALL SELECT to_jsonb(w) - 'ord' FROM pd_want w)
          UNION ALL (SELECT to_jsonb(w) - 'ord' FROM pd_want w EXCEPT ALL SELECT to_jsonb(g) - 'ord' FROM pd_got g)) x);
  same_order := got IS NOT DISTINCT FROM want;
END $$;
-- SELECT id FROM {s}.<tbl> WHERE <cond> for every (label, cond) pair
CREATE FUNCTION pd.matrix(tbl text, conds text[])
RETURNS TABLE (cond text, n bigint, same boolean) LANGUAGE plpgsql AS $$
BEGIN
  FOREACH cond IN ARRAY conds LOOP
    SELECT c.n, c.same INTO n, same
      FROM pd.chk(format('SELECT id FROM {s}.%s WHERE %s', tbl, cond)) c;
    RETURN NEXT;
  END LOOP;
END $$;
-- every comparison operator against t, and BETWEEN t and t2, on column col
CREATE FUNCTION pd.ops(col text, t timestamptz, t2 timestamptz) RETURNS text[]
LANGUAGE sql AS $$
  SELECT ARRAY[format('%s = %L', col, t), format('%s < %L', col, t),
               format('%s <= %L', col, t), format('%s > %L', col, t),
               format('%s >= %L', col, t),
               format('%s BETWEEN %L AND %L', col, least(t, t2), greatest(t, t2))]
$$;

-- boundary values, from the data itself
-- local midnight of the workspace (America/Los_Angeles): contact 10 was
-- created exactly then, contact 11 one second before
SELECT timestamptz '2021-03-10 00:00:00 America/Los_Angeles' AS lmid,
       timestamptz '2021-03-11 00:00:00+00' AS umid \gset
SELECT count(*) FILTER (WHERE (j->>'created_at')::bigint = extract(epoch FROM :'lmid'::timestamptz)) AS at_lmid,
       count(*) FILTER (WHERE (j->>'created_at')::bigint = extract(epoch FROM :'umid'::timestamptz)) AS at_umid,
       count(*) FILTER (WHERE (j->>'updated_at')::bigint = extract(epoch FROM :'lmid'::timestamptz)) AS upd_at_lmid
  FROM dump_contacts;
-- three contacts sharing one updated_at second (and one created_at second)
SELECT to_timestamp(u) AS same_upd, count(*) AS n
  FROM (SELECT (j->>'updated_at')::bigint AS u FROM dump_contacts) d GROUP BY u HAVING count(*) = 3
  ORDER BY abs(u - 1650000000) LIMIT 1 \gset
SELECT :'same_upd' AS same_upd, :n AS n;
SELECT to_timestamp(c) AS same_cre, count(*) AS n
  FROM (SELECT (j->>'created_at')::bigint AS c FROM dump_contacts) d GROUP BY c HAVING count(*) = 3
  ORDER BY abs(c - 1650000000) LIMIT 1 \gset
SELECT :'same_cre' AS same_cre, :n AS n;
-- conversations: 100005 created exactly at local midnight, 100004 one second
-- before a UTC midnight, two conversations created in the same second
SELECT to_timestamp((j->>'created_at')::bigint) AS conv_lmid FROM dump_conversations WHERE j->>'id' = '100005' \gset
SELECT to_timestamp((j->>'created_at')::bigint) + interval '1 second' AS conv_umid FROM dump_conversations WHERE j->>'id' = '100004' \gset
SELECT to_timestamp(c) AS conv_same
  FROM (SELECT (j->>'created_at')::bigint AS c FROM dump_conversations) d GROUP BY c HAVING count(*) = 2
  ORDER BY abs(c - 1650000000) LIMIT 1 \gset
SELECT to_timestamp((j->>'updated_at')::bigint) AS conv_upd FROM dump_conversations WHERE j->>'id' = '100004' \gset
SELECT :'conv_lmid' AS conv_lmid, :'conv_umid' AS conv_umid, :'conv_same' AS conv_same, :'conv_upd' AS conv_upd;
\! python3 test/fakectl.py log-clear

--
-- contacts: dates compare by day in the workspace time zone, so every bound
-- is widened to T's whole day (= T OR > T, = T OR < T) and rechecked
--
SELECT * FROM pd.matrix('contacts', pd.ops('updated_at', :'lmid', :'umid'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('contacts', pd.ops('updated_at', :'umid', :'same_upd'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('contacts', pd.ops('updated_at', :'same_upd', :'same_upd'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('contacts', pd.ops('created_at', :'lmid', :'umid'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('contacts', pd.ops('created_at', :'umid', :'same_cre'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('contacts', pd.ops('created_at', :'same_cre', :'same_cre'));
\! python3 test/fakectl.py log --clear-after
-- one second around the boundaries, fractional seconds, before 1970
SELECT * FROM pd.matrix('contacts', ARRAY[
  format('updated_at >= %L', :'lmid'::timestamptz - interval '1 second'),
  format('updated_at < %L', :'lmid'::timestamptz + interval '1 second'),
  format('created_at > %L', :'umid'::timestamptz - interval '0.5 second'),
  format('created_at <= %L', :'umid'::timestamptz - interval '0.5 second'),
  'created_at < ''1970-01-01 00:00:00+00''',
  'created_at BETWEEN ''1964-12-31 00:00:00+00'' AND ''1965-01-01 01:12:01+00''',
  'signed_up_at >= ''2021-03-10 00:00:00+00'' AND signed_up_at < ''2021-03-12 00:00:00+00''',
  'last_seen_at = ''2021-03-10 08:00:00+00''']);
\! python3 test/fakectl.py log --clear-after
-- several bounds at once: one AND group
SELECT * FROM pd.matrix('contacts', ARRAY[
  format('updated_at >= %L AND updated_at < %L AND created_at > %L', :'lmid', :'umid', '2021-01-01 00:00:00+00')]);
\! python3 test/fakectl.py log --clear-after

--
-- conversations: dates compare to the second; > and < may include the bound,
-- so >= T is sent as > T-1 and <= T as < T+1
--
SELECT * FROM pd.matrix('conversations', pd.ops('created_at', :'conv_lmid', :'conv_umid'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', pd.ops('created_at', :'conv_umid', :'conv_same'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', pd.ops('created_at', :'conv_same', :'conv_same'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', pd.ops('updated_at', :'conv_upd', '2026-01-01 00:00:00+00'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', pd.ops('updated_at', '2020-05-16 00:00:00+00', :'conv_upd'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', pd.ops('updated_at', '2020-05-16 00:00:00 America/Los_Angeles', '2021-03-11 00:00:00 America/Los_Angeles'));
\! python3 test/fakectl.py log --clear-after
-- fractional bounds round outwards to whole seconds
SELECT * FROM pd.matrix('conversations', ARRAY[
  format('updated_at >= %L', :'conv_upd'::timestamptz - interval '0.5 second'),
  format('updated_at > %L', :'conv_upd'::timestamptz - interval '0.5 second'),
  format('updated_at <= %L', :'conv_upd'::timestamptz + interval '0.5 second'),
  format('updated_at < %L', :'conv_upd'::timestamptz + interval '0.5 second'),
  format('updated_at = %L', :'conv_upd'::timestamptz + interval '0.5 second')]);
\! python3 test/fakectl.py log --clear-after

--
-- empty and contradictory ranges, NULL and infinite bounds
--
SELECT * FROM pd.matrix('contacts', ARRAY[
  format('updated_at > %L AND updated_at < %L', :'umid', :'umid'::timestamptz - interval '1 day'),
  format('updated_at > %L AND updated_at < %L', :'umid', :'umid'),
  format('updated_at BETWEEN %L AND %L', :'umid', :'lmid')]);
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', ARRAY[
  format('created_at > %L AND created_at < %L', :'conv_same', :'conv_same'::timestamptz - interval '1 second'),
  format('created_at > %L AND created_at < %L', :'conv_same', :'conv_same'::timestamptz + interval '1 second')]);
\! python3 test/fakectl.py log --clear-after
-- a NULL bound: no row and no request at all
SELECT count(*) FROM ic.contacts WHERE updated_at > NULL;
SELECT count(*) FROM ic.conversations WHERE created_at <= NULL::timestamptz;
SELECT count(*) FROM ic.contacts WHERE id = NULL;
SELECT count(*) FROM ic.contacts WHERE email = NULL;
\! python3 test/fakectl.py count
-- an infinite bound cannot be sent; it is left to the local recheck (the
-- request is a plain listing) and must not be taken for a NULL
SELECT * FROM pd.matrix('contacts', ARRAY[
  'updated_at > ''-infinity''', 'updated_at < ''infinity''', 'updated_at > ''infinity''']);
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', ARRAY[
  'updated_at >= ''-infinity''', 'created_at <= ''infinity''']);
\! python3 test/fakectl.py log --clear-after

--
-- values known only at execution: parameters, now(), a correlated subquery
--
PREPARE c_ge(timestamptz) AS SELECT id FROM ic.contacts WHERE updated_at >= $1;
PREPARE c_between(timestamptz, timestamptz) AS SELECT id FROM ic.contacts WHERE created_at BETWEEN $1 AND $2;
PREPARE v_le(timestamptz) AS SELECT id FROM ic.conversations WHERE updated_at <= $1;
PREPARE v_lt_gt(timestamptz, timestamptz) AS SELECT id FROM ic.conversations WHERE created_at > $1 AND created_at < $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE c_ge(:'lmid');
EXPLAIN (COSTS OFF) EXECUTE v_lt_gt(:'conv_same', :'conv_umid');
DROP TABLE IF EXISTS pd_got;
CREATE TEMP TABLE pd_got AS EXECUTE c_ge(:'lmid');
SELECT * FROM pd.cmp(format('SELECT id FROM {s}.contacts WHERE updated_at >= %L', :'lmid'));
DROP TABLE pd_got;
CREATE TEMP TABLE pd_got AS EXECUTE c_ge(:'same_upd');
SELECT * FROM pd.cmp(format('SELECT id FROM {s}.contacts WHERE updated_at >= %L', :'same_upd'));
DROP TABLE pd_got;
CREATE TEMP TABLE pd_got AS EXECUTE c_between(:'lmid', :'umid');
SELECT * FROM pd.cmp(format('SELECT id FROM {s}.contacts WHERE created_at BETWEEN %L AND %L', :'lmid', :'umid'));
DROP TABLE pd_got;
CREATE TEMP TABLE pd_got AS EXECUTE v_le(:'conv_upd');
SELECT * FROM pd.cmp(format('SELECT id FROM {s}.conversations WHERE updated_at <= %L', :'conv_upd'));
DROP TABLE pd_got;
CREATE TEMP TABLE pd_got AS EXECUTE v_lt_gt(:'conv_same', :'conv_umid');
SELECT * FROM pd.cmp(format('SELECT id FROM {s}.conversations WHERE created_at > %L AND created_at < %L', :'conv_same', :'conv_umid'));
\! python3 test/fakectl.py log --clear-after
-- a NULL parameter: no row, no request
EXECUTE c_ge(NULL);
EXECUTE v_lt_gt(:'conv_same', NULL);
\! python3 test/fakectl.py count
SET plan_cache_mode = force_custom_plan;
EXPLAIN (COSTS OFF) EXECUTE c_ge(:'lmid');
DROP TABLE pd_got;
CREATE TEMP TABLE pd_got AS EXECUTE v_lt_gt(:'conv_same', :'conv_umid');
SELECT * FROM pd.cmp(format('SELECT id FROM {s}.conversations WHERE created_at > %L AND created_at < %L', :'conv_same', :'conv_umid'));
\! python3 test/fakectl.py log --clear-after
RESET plan_cache_mode;
DEALLOCATE ALL;
-- now()-relative bounds: the values change with time, so what is compared
-- is the same on any day: the rows (the same as the local recheck of the
-- fake's dump, and some found) and the filter shape (values masked)
SELECT cond, n > 0 AS found, same FROM pd.matrix('contacts', ARRAY[
  'updated_at >= now() - interval ''1500 days''',
  'created_at < now() - interval ''1000 days''',
  'updated_at BETWEEN now() - interval ''2000 days'' AND now() - interval ''500 days''']);
\! python3 test/fakectl.py log --clear-after | sed -E 's/"value":-?[0-9]+/"value":N/g'
SELECT cond, n > 0 AS found, same FROM pd.matrix('conversations', ARRAY[
  'updated_at > now() - interval ''1500 days''',
  'created_at <= now() - interval ''1000 days''',
  'created_at >= current_timestamp - interval ''2000 days'' AND created_at < current_timestamp']);
\! python3 test/fakectl.py log --clear-after | sed -E 's/"value":-?[0-9]+/"value":N/g'
-- a volatile bound is not pushed (a plain listing)
SELECT * FROM pd.matrix('conversations', ARRAY['updated_at < clock_timestamp()']);
\! python3 test/fakectl.py log --clear-after
-- a correlated subquery: the bound is a parameter of each rescan
SELECT * FROM pd.chk($$
  SELECT b.t, (SELECT count(*) FROM {s}.conversations v WHERE v.created_at >= b.t) AS n
    FROM (VALUES ('2020-08-22 07:00:00+00'::timestamptz), ('2024-01-01 00:00:00+00')) b(t)$$);
TABLE pd_got ORDER BY 1;
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.chk($$
  SELECT b.t, (SELECT count(*) FROM {s}.contacts c WHERE c.updated_at < b.t) AS n
    FROM (VALUES ('2021-03-10 08:00:00+00'::timestamptz), ('2021-03-11 00:00:00+00')) b(t)$$);
TABLE pd_got ORDER BY 1;
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.chk($$
  SELECT b.id, (SELECT count(*) FROM {s}.conversation_parts p WHERE p.conversation_id = b.id) AS n
    FROM (VALUES ('100003'), ('100004'), ('999999')) b(id)$$);
TABLE pd_got ORDER BY 1;
\! python3 test/fakectl.py log --clear-after | sort
-- a join between two foreign tables on a date is not pushed (no
-- parameterized path for dates): only the rows
SELECT * FROM pd.chk($$
  SELECT v.id AS conv, c.id AS contact FROM {s}.conversations v JOIN {s}.contacts c
      ON c.updated_at BETWEEN v.created_at - interval '30 days' AND v.created_at
   WHERE v.state = 'open'$$);
\! python3 test/fakectl.py log --clear-after
-- a join on ids: only the rows (the plan is free to choose)
SELECT * FROM pd.chk($$
  SELECT v.id AS conv, p.id AS part FROM {s}.conversations v JOIN {s}.conversation_parts p
      ON p.conversation_id = v.id
   WHERE v.id IN ('100003', '100004')$$);
SELECT * FROM pd.chk($$
  SELECT v.id AS conv, c.id AS contact FROM {s}.conversations v JOIN {s}.contacts c
      ON c.id = v.contacts->'contacts'->0->>'id'
   WHERE v.state = 'snoozed'$$);
\! python3 test/fakectl.py log-clear

--
-- a session time zone other than UTC changes nothing in the request
--
SET TimeZone = 'Asia/Kolkata';
SELECT * FROM pd.matrix('contacts', ARRAY[
  'updated_at >= ''2021-03-10 13:30:00''', 'updated_at < ''2021-03-11 05:30:00''',
  'created_at BETWEEN ''2021-03-10 13:30:00'' AND ''2021-03-11 05:30:00''']);
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', ARRAY[
  'created_at >= ''2020-08-22 12:30:00''', 'created_at < ''2020-05-15 05:30:00''']);
\! python3 test/fakectl.py log --clear-after
SET TimeZone = 'America/Los_Angeles';
SELECT * FROM pd.matrix('contacts', ARRAY[
  'updated_at >= ''2021-03-10 00:00:00''', 'updated_at < ''2021-03-10 16:00:00''',
  'created_at BETWEEN ''2021-03-10 00:00:00'' AND ''2021-03-10 16:00:00''']);
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', ARRAY[
  'created_at >= ''2020-08-22 00:00:00''', 'created_at < ''2020-05-14 17:00:00''']);
\! python3 test/fakectl.py log --clear-after
SET TimeZone = 'UTC';

--
-- a workspace in another time zone: the API's days change, the widening
-- needs no time zone and stays correct
--
\! python3 test/fakectl.py config timezone=Pacific/Auckland
SELECT * FROM pd.matrix('contacts', pd.ops('updated_at', :'lmid', :'umid'));
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('contacts', pd.ops('created_at', :'umid', :'same_cre'));
\! python3 test/fakectl.py log --clear-after
-- Auckland midnight, and one second either side
SELECT * FROM pd.matrix('contacts', ARRAY[
  'updated_at >= ''2021-03-11 00:00:00 Pacific/Auckland''',
  'updated_at < ''2021-03-11 00:00:00 Pacific/Auckland''',
  'created_at > ''2021-03-10 23:59:59 Pacific/Auckland''',
  'created_at <= ''2021-03-11 00:00:01 Pacific/Auckland''']);
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', pd.ops('created_at', :'conv_lmid', :'conv_umid'));
\! python3 test/fakectl.py log --clear-after
\! python3 test/fakectl.py config timezone=America/Los_Angeles

--
-- exact equality on strings and booleans
--
SELECT j->>'email' AS em, j->>'role' AS em_role FROM dump_contacts WHERE right(j->>'id', 10) = '0000000009' \gset
SELECT :'em' AS em, :'em_role' AS em_role;
SELECT * FROM pd.matrix('contacts', ARRAY[
  'email = ''o''''brien+tag"quote@example.com''',
  'email = ''radia.2@bücher.de''',
  'email = ''nobody@example.com''',
  'external_id = ''ext-7''',
  'external_id = ''11''',
  'role = ''lead''',
  format('role = %L AND email = %L', :'em_role', :'em')]);
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', ARRAY[
  'state = ''snoozed''',
  'open = true',
  'open = false',
  'open',
  'NOT open',
  'open AND updated_at >= ''2024-01-01 00:00:00+00''']);
\! python3 test/fakectl.py log --clear-after
-- not pushed: other operators, other types, case-insensitive matches
SELECT * FROM pd.matrix('contacts', ARRAY[
  'role <> ''lead''',
  format('lower(email) = %L', :'em'),
  'email LIKE ''ada.%''',
  'name = ''Ada Lovelace''',
  format('email = %L OR role = %L', :'em', 'lead')]);
\! python3 test/fakectl.py log --clear-after
SELECT * FROM pd.matrix('conversations', ARRAY['open IS TRUE', 'open IS NOT TRUE']);
\! python3 test/fakectl.py log --clear-after

--
-- lookups by id: one GET per id, unknown ids give no row (the GETs may run
-- concurrently: the log is sorted)
--
-- ids from the data: contacts 5, 7 and 10, companies 1 to 3, and an id of
-- the right shape that does not exist
SELECT max(j->>'id') FILTER (WHERE right(j->>'id', 10) = '0000000005') AS c5,
       max(j->>'id') FILTER (WHERE right(j->>'id', 10) = '0000000007') AS c7,
       max(j->>'id') FILTER (WHERE right(j->>'id', 10) = '000000000a') AS c10,
       left(max(j->>'id'), 14) || 'ffffffffff' AS c_none
  FROM dump_contacts \gset
CREATE TEMP TABLE dump_companies (j jsonb);
\copy dump_companies FROM PROGRAM 'python3 test/fakectl.py dump companies' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT max(j->>'id') FILTER (WHERE right(j->>'id', 10) = '0000000001') AS co1,
       max(j->>'id') FILTER (WHERE right(j->>'id', 10) = '0000000002') AS co2,
       max(j->>'id') FILTER (WHERE right(j->>'id', 10) = '0000000003') AS co3,
       left(max(j->>'id'), 14) || 'ffffffffff' AS co_none,
       max(j->>'company_id') FILTER (WHERE right(j->>'id', 10) = '0000000001') AS co1_cid,
       max(j->>'company_id') FILTER (WHERE right(j->>'id', 10) = '0000000002') AS co2_cid
  FROM dump_companies \gset
SELECT :'c5' AS c5, :'c7' AS c7, :'c10' AS c10, :'c_none' AS c_none;
SELECT :'co1' AS co1, :'co2' AS co2, :'co3' AS co3, :'co_none' AS co_none, :'co1_cid' AS co1_cid, :'co2_cid' AS co2_cid;
SELECT * FROM pd.matrix('contacts', ARRAY[
  format('id = %L', :'c5'),
  format('id IN (%L, %L, %L)', :'c10', :'c7', :'c10'),
  format('id = %L', :'c_none'),
  'id IN (''nope'', NULL)',
  format('id = %L AND updated_at > %L', :'c5', '2030-01-01 00:00:00+00')]);
\! python3 test/fakectl.py log --clear-after | sort
SELECT * FROM pd.matrix('conversations', ARRAY[
  'id = ''100007''',
  'id IN (''100001'', ''100041'', ''999999'')',
  'id = ''no/such?id''']);
\! python3 test/fakectl.py log --clear-after | sort
SELECT * FROM pd.matrix('companies', ARRAY[
  format('id = %L', :'co1'),
  format('id IN (%L, %L)', :'co2', :'co3'),
  format('id = %L', :'co_none'),
  format('company_id = %L', :'co1_cid'),
  format('company_id = %L', :'co2_cid'),
  'company_id = ''no such company''']);
\! python3 test/fakectl.py log --clear-after | sort
-- id and company_id together: the id lookup; company_id is only rechecked
SELECT * FROM pd.matrix('companies', ARRAY[
  format('id = %L AND company_id = %L', :'co1', :'co1_cid'),
  format('id = %L AND company_id = %L', :'co1', :'co2_cid')]);
\! python3 test/fakectl.py log --clear-after | sort
-- a company filter the API cannot apply: the full scroll
SELECT * FROM pd.matrix('companies', ARRAY['name = ''Acme Inc''']);
\! python3 test/fakectl.py log --clear-after | sed -E 's/scroll_param=[^ ]*/scroll_param=P/'

--
-- conversation_parts: conversation_id is one GET; a lower bound on the
-- conversation's or a part's updated_at selects conversations by search; an
-- upper bound on a part's updated_at says nothing about its conversation
--
SELECT * FROM pd.matrix('conversation_parts', ARRAY[
  'conversation_id = ''100003''',
  'conversation_id IN (''100009'', ''100010'')',
  'conversation_id = ''999999''']);
\! python3 test/fakectl.py log --clear-after | sort
SELECT * FROM pd.matrix('conversation_parts', ARRAY['conversation_updated_at >= ''2025-06-01 00:00:00+00''']);
\! python3 test/fakectl.py log --clear-after | sort
SELECT * FROM pd.matrix('conversation_parts', ARRAY['updated_at >= ''2025-06-01 00:00:00+00''']);
\! python3 test/fakectl.py log --clear-after | sort
SELECT * FROM pd.matrix('conversation_parts', ARRAY[
  format('updated_at > %L', :'conv_upd'::timestamptz - interval '1 day')]);
\! python3 test/fakectl.py log --clear-after | grep -v '^GET /conversations/'
SELECT * FROM pd.matrix('conversation_parts', ARRAY['updated_at <= ''2019-06-01 00:00:00+00''']);
\! python3 test/fakectl.py count --path /conversations/1
\! python3 test/fakectl.py log --clear-after | grep -v '^GET /conversations/1'

--
-- ORDER BY updated_at: the search sorts, no Sort node
--
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE created_at >= '2024-01-01 00:00:00+00' ORDER BY updated_at;
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE created_at >= '2024-01-01 00:00:00+00' ORDER BY updated_at DESC;
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE state = 'closed' ORDER BY updated_at;
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE state = 'closed' ORDER BY updated_at DESC;
SELECT * FROM pd.chk_order('SELECT updated_at, id FROM {s}.contacts WHERE created_at >= ''2024-01-01 00:00:00+00'' ORDER BY updated_at');
SELECT * FROM pd.chk_order('SELECT updated_at, id FROM {s}.contacts WHERE created_at >= ''2024-01-01 00:00:00+00'' ORDER BY updated_at DESC');
SELECT * FROM pd.chk_order('SELECT updated_at, id FROM {s}.conversations WHERE state = ''closed'' ORDER BY updated_at');
SELECT * FROM pd.chk_order('SELECT updated_at, id FROM {s}.conversations WHERE state = ''closed'' ORDER BY updated_at DESC');
\! python3 test/fakectl.py log --clear-after
-- several pages (a server with per_page 7): the cursor keeps the order,
-- also across the three contacts sharing one second
CREATE SERVER fake_pp FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (api_url :'fake_url', retry_base_ms '10', max_retries '3', per_page '7');
CREATE USER MAPPING FOR CURRENT_USER SERVER fake_pp OPTIONS (token 'tok_test_1');
CREATE SCHEMA ic_pp;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, conversations) FROM SERVER fake_pp INTO ic_pp;
SELECT * FROM pd.chk_order(format('SELECT updated_at, id FROM {s}.contacts WHERE updated_at BETWEEN %L AND %L ORDER BY updated_at DESC',
                                  :'same_upd'::timestamptz - interval '200 days', :'same_upd'::timestamptz + interval '200 days'), 'ic_pp');
SELECT * FROM pd.chk_order('SELECT updated_at, id FROM {s}.conversations WHERE NOT open ORDER BY updated_at', 'ic_pp');
\! python3 test/fakectl.py log --clear-after | sed -E 's/"starting_after":"[^"]*"/"starting_after":"C"/'
-- exact filter, sort and LIMIT together: per_page is the limit
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, updated_at FROM ic.contacts WHERE role = 'lead' ORDER BY updated_at DESC LIMIT 5;
SELECT id, updated_at FROM ic.contacts WHERE role = 'lead' ORDER BY updated_at DESC LIMIT 5;
SELECT id, updated_at FROM loc.contacts WHERE role = 'lead' ORDER BY updated_at DESC, id LIMIT 5;
\! python3 test/fakectl.py log --clear-after
-- not pushed: another sort key, two keys, no filter (a listing cannot sort)
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE role = 'lead' ORDER BY created_at;
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE role = 'lead' ORDER BY updated_at, id;
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations ORDER BY updated_at;
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE open ORDER BY updated_at NULLS FIRST;

--
-- LIMIT: pushed into per_page only when the API applies every clause exactly
--
SELECT id FROM ic.contacts LIMIT 10;
\! python3 test/fakectl.py log --clear-after
\o /dev/null
SELECT * FROM ic.contacts LIMIT 10;
\o
\! python3 test/fakectl.py count
\! python3 test/fakectl.py log --clear-after
SELECT count(*) FROM (SELECT id FROM ic.conversations WHERE state = 'open' LIMIT 3) s;
\! python3 test/fakectl.py log --clear-after
SELECT count(*) FROM (SELECT id FROM ic.contacts LIMIT 5 OFFSET 5) s;
\! python3 test/fakectl.py log --clear-after
-- a date filter (rechecked, not exact) or a local filter: per_page stays 150
SELECT count(*) FROM (SELECT id FROM ic.contacts WHERE updated_at >= '2025-01-01 00:00:00+00' LIMIT 3) s;
\! python3 test/fakectl.py log --clear-after
SELECT count(*) FROM (SELECT id FROM ic.contacts WHERE name LIKE 'A%' LIMIT 3) s;
\! python3 test/fakectl.py log --clear-after
SELECT count(*) FROM (SELECT id FROM ic.contacts ORDER BY name LIMIT 3) s;
\! python3 test/fakectl.py log --clear-after

--
-- EXPLAIN of every kind of request
--
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE updated_at >= '2021-03-10 08:00:00+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE updated_at < '2021-03-10 08:00:00+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE created_at = '2021-03-10 08:00:00+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE updated_at BETWEEN '2021-03-10 08:00:00+00' AND '2021-03-11 00:00:00+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE updated_at > '2020-05-16 00:01:36+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE updated_at >= '2020-05-16 00:01:36+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE updated_at < '2020-05-16 00:01:36+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE updated_at <= '2020-05-16 00:01:36+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE created_at = '2020-05-16 00:01:36+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE updated_at >= now() - interval '1 day';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE updated_at >= clock_timestamp() - interval '1 day';
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE email = :'em';
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE external_id = 'ext-7' AND role = 'lead';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE open;
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE NOT open AND state = 'closed';
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE id = :'c5';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE id IN ('100001', '100002');
EXPLAIN (COSTS OFF) SELECT id FROM ic.companies WHERE id = :'co1';
EXPLAIN (COSTS OFF) SELECT id FROM ic.companies WHERE company_id = :'co2_cid';
EXPLAIN (COSTS OFF) SELECT id FROM ic.companies WHERE id = :'co1' AND company_id = :'co1_cid';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE id = 'no/such?id';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversation_parts WHERE conversation_id = '100003';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversation_parts WHERE updated_at >= '2025-06-01 00:00:00+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversation_parts WHERE updated_at <= '2025-06-01 00:00:00+00';
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts WHERE updated_at > NULL;
EXPLAIN (COSTS OFF) SELECT id FROM ic.contacts LIMIT 10;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, email FROM ic.contacts WHERE updated_at >= '2021-03-10 08:00:00+00' AND role = 'lead';
\! python3 test/fakectl.py count
\i sql/include/explain.sql
SELECT * FROM pg_temp.explain_analyze($$
  SELECT id FROM ic.contacts WHERE updated_at >= '2021-03-10 08:00:00+00' AND updated_at < '2021-03-11 00:00:00+00'$$);
SELECT * FROM pg_temp.explain_analyze($$
  SELECT id FROM ic.conversation_parts WHERE conversation_id IN ('100003', '100004')$$);
\! python3 test/fakectl.py log --clear-after

--
-- pushdown off: on the server (ic_nopd) and on a table; plain listings
--
EXPLAIN (COSTS OFF) SELECT id FROM ic_nopd.contacts WHERE updated_at >= '2021-03-10 08:00:00+00' AND email = :'em';
EXPLAIN (COSTS OFF) SELECT id FROM ic_nopd.companies WHERE id = :'co1';
SELECT count(*) FROM ic_nopd.contacts WHERE updated_at >= '2021-03-10 08:00:00+00';
SELECT count(*) FROM ic.contacts WHERE updated_at >= '2021-03-10 08:00:00+00';
SELECT id FROM ic_nopd.conversations WHERE id = '100007';
SELECT count(*) FROM ic_nopd.conversations WHERE created_at >= '2020-08-22 07:00:00+00' AND open;
SELECT count(*) FROM ic.conversations WHERE created_at >= '2020-08-22 07:00:00+00' AND open;
\! python3 test/fakectl.py log --clear-after
ALTER FOREIGN TABLE ic.conversations OPTIONS (ADD pushdown 'false');
EXPLAIN (COSTS OFF) SELECT id FROM ic.conversations WHERE updated_at >= '2020-05-16 00:01:36+00' ORDER BY updated_at;
SELECT * FROM pd.matrix('conversations', ARRAY[
  'updated_at >= ''2020-05-16 00:01:36+00''', 'state = ''open''', 'id = ''100007''']);
\! python3 test/fakectl.py log --clear-after
ALTER FOREIGN TABLE ic.conversations OPTIONS (DROP pushdown);
-- a table can turn pushdown on where the server has it off
ALTER FOREIGN TABLE ic_nopd.contacts OPTIONS (ADD pushdown 'true');
EXPLAIN (COSTS OFF) SELECT id FROM ic_nopd.contacts WHERE email = :'em';
ALTER FOREIGN TABLE ic_nopd.contacts OPTIONS (DROP pushdown);

-- clean up
DROP SCHEMA pd CASCADE;
DROP SCHEMA loc CASCADE;
DROP SCHEMA ic_nopd CASCADE;
DROP SCHEMA ic_pp CASCADE;
DROP SERVER fake_nopd CASCADE;
DROP SERVER fake_pp CASCADE;
RESET ALL;
