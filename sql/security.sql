--
-- Security: who can read with whose token, who can point the server
-- elsewhere, and that the token never shows in catalogs readable by others,
-- EXPLAIN, or error messages.
--
\i sql/include/setup.sql
\set VERBOSITY terse
-- leftovers of an interrupted earlier run
SET client_min_messages = warning;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['regress_ic_alice', 'regress_ic_bob'] LOOP
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('DROP OWNED BY %I CASCADE', r);
      EXECUTE format('DROP ROLE %I', r);
    END IF;
  END LOOP;
END $$;
RESET client_min_messages;

\i sql/include/try.sql

-- every line of EXPLAIN (options) of a query, or its error, with the number
-- of lines that contain a string
CREATE FUNCTION public.ic_sec_explain_has(opts text, q text, needle text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  line text;
  n int := 0;
  total int := 0;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (' || opts || ') ' || q LOOP
    total := total + 1;
    IF position(needle IN line) > 0 THEN
      n := n + 1;
    END IF;
  END LOOP;
  RETURN format('%s lines, %s with the token', CASE WHEN total > 0 THEN 'some' ELSE 'no' END, n);
EXCEPTION WHEN others THEN
  RETURN format('error, %s with the token',
                CASE WHEN position(needle IN SQLERRM) > 0 THEN 'message' ELSE 'none' END);
END $$;

-- all the text of the error a query raises: message, detail, hint, and
-- the context lines other than PL/pgSQL's own (which quote the statement)
CREATE FUNCTION public.ic_sec_error_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  msg text;
  det text;
  hint text;
  ctx text;
BEGIN
  EXECUTE q;
  RETURN '(no error)';
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                          hint = PG_EXCEPTION_HINT, ctx = PG_EXCEPTION_CONTEXT;
  ctx := regexp_replace(ctx, '^(SQL statement|PL/pgSQL function) .*$', '', 'gn');
  RETURN concat_ws(E'\n', msg, det, hint, ctx);
END $$;

-- whether CREATE SERVER accepts an api_url (the server is dropped again)
CREATE FUNCTION public.ic_sec_url(url text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE SERVER ic_sec_plain FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url %L)', url);
  DROP SERVER ic_sec_plain;
  RETURN 'accepted';
EXCEPTION WHEN others THEN
  RETURN 'rejected: ' || SQLSTATE || ' ' || SQLERRM;
END $$;

CREATE ROLE regress_ic_alice LOGIN;
CREATE ROLE regress_ic_bob LOGIN;
GRANT USAGE ON FOREIGN SERVER fake TO regress_ic_alice, regress_ic_bob;
GRANT USAGE ON FOREIGN DATA WRAPPER intercom_fdw TO regress_ic_alice;
GRANT USAGE ON SCHEMA ic TO regress_ic_alice, regress_ic_bob;
GRANT SELECT ON ALL TABLES IN SCHEMA ic TO regress_ic_alice, regress_ic_bob;

--
-- 1. A non-superuser with USAGE on the server and its own user mapping can
-- query; it sees its own token only.
--
SET ROLE regress_ic_alice;
CREATE USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (token 'tok_test_2');
SELECT count(*) FROM ic.contacts;
SELECT count(*) FROM ic.tags;
SELECT usename, umoptions FROM pg_user_mappings WHERE srvname = 'fake' ORDER BY usename;
SELECT count(*) AS other_tokens_visible FROM pg_user_mappings
 WHERE srvname = 'fake' AND usename <> current_user AND umoptions IS NOT NULL;
SELECT count(*) AS other_tokens_visible FROM information_schema.user_mapping_options
 WHERE foreign_server_name = 'fake' AND authorization_identifier <> current_user
   AND option_value IS NOT NULL;
-- nor can it change another role's mapping
ALTER USER MAPPING FOR postgres SERVER fake OPTIONS (SET token 'tok_mine');
\echo :LAST_ERROR_SQLSTATE
DROP USER MAPPING FOR postgres SERVER fake;
\echo :LAST_ERROR_SQLSTATE
-- the server and table options, readable by every role, hold no token
SELECT count(*) AS servers_with_token FROM pg_foreign_server
 WHERE array_to_string(srvoptions, ',') LIKE '%tok_%';
SELECT count(*) AS tables_with_token FROM pg_foreign_table
 WHERE array_to_string(ftoptions, ',') LIKE '%tok_%';

--
-- 2. api_url is for superusers only: it decides where every user's token
-- is sent.  Not in CREATE SERVER, nor in ALTER SERVER of its own server,
-- and another's server it cannot alter at all.
--
CREATE SERVER alice_srv FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (api_url 'https://intercom.evil.example');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER alice_srv FOREIGN DATA WRAPPER intercom_fdw OPTIONS (region 'eu');
ALTER SERVER alice_srv OPTIONS (SET region 'au', ADD timeout_ms '5000');
ALTER SERVER alice_srv OPTIONS (DROP region, ADD api_url 'https://intercom.evil.example');
\echo :LAST_ERROR_SQLSTATE
\set fake_url `echo "$FAKE_URL"`
ALTER SERVER alice_srv OPTIONS (DROP region, ADD api_url :'fake_url');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER fake OPTIONS (SET api_url 'https://intercom.evil.example');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER fake OPTIONS (ADD max_retries '20');
\echo :LAST_ERROR_SQLSTATE
SELECT srvname, regexp_replace(array_to_string(srvoptions, ', '), 'api_url=[^,]*', 'api_url=(the fake)') AS options
  FROM pg_foreign_server WHERE srvname IN ('fake', 'alice_srv') ORDER BY srvname;
-- the token is accepted only in a user mapping, and a rejected one is not
-- echoed back
CREATE SERVER alice_srv2 FOREIGN DATA WRAPPER intercom_fdw OPTIONS (token 'tok_secret_SRV999');
\echo :LAST_ERROR_SQLSTATE
SELECT position('SRV999' IN ic_sec_error_text(
  $$ALTER SERVER alice_srv OPTIONS (ADD token 'tok_secret_SRV999')$$)) AS token_in_error;
SELECT position('SRV999' IN ic_sec_error_text(
  $$CREATE USER MAPPING FOR CURRENT_USER SERVER alice_srv OPTIONS (tokn 'tok_secret_SRV999')$$)) AS token_in_error;
DROP SERVER alice_srv;
RESET ROLE;

-- even a superuser cannot send the token in clear text off this machine:
-- plain http only to a loopback host, however the URL is dressed up
SELECT url, ic_sec_url(url) FROM (VALUES
  ('http://intercom.example.com'),
  ('http://127.0.0.1.evil.example'),
  ('http://localhost.evil.example'),
  ('http://localhost@evil.example'),
  ('http://127.0.0.1:80@evil.example/'),
  ('http://localhost:80@evil.example/'),
  ('http://127.0.0.1:9/'),
  ('http://127.0.0.1'),
  ('http://localhost:9'),
  ('http://[::1]:9'),
  ('http://[::1]'),
  ('https://api.intercom.io'),
  ('https://')) v(url);

--
-- 3. EXPLAIN never shows the token.
--
SET ROLE regress_ic_alice;
SELECT ic_sec_explain_has('VERBOSE', 'SELECT * FROM ic.contacts', 'tok_test');
SELECT ic_sec_explain_has('VERBOSE, COSTS OFF', $$SELECT * FROM ic.contacts WHERE email = 'a@b.c'$$, 'tok_test');
SELECT ic_sec_explain_has('ANALYZE, VERBOSE, COSTS OFF', 'SELECT * FROM ic.tags', 'tok_test');
SELECT ic_sec_explain_has('ANALYZE, VERBOSE, FORMAT JSON', 'SELECT * FROM ic.conversations LIMIT 3', 'tok_test');

--
-- 4. Errors after failures never show the token: a mapping whose token the
-- fake rejects (401), and a 5xx that exhausts the retries.
--
ALTER USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (SET token 'tok_secret_XYZ123');
SELECT ic_try('SELECT count(*)::text FROM ic.contacts');
SELECT position('XYZ123' IN ic_sec_error_text('SELECT count(*) FROM ic.contacts')) AS token_in_error;
SELECT position('XYZ123' IN ic_sec_error_text('SELECT * FROM ic.conversation_parts')) AS token_in_error;
SELECT position('XYZ123' IN ic_sec_error_text($$SELECT * FROM ic.contacts WHERE id = 'x'$$)) AS token_in_error;
SELECT ic_sec_explain_has('ANALYZE, VERBOSE', 'SELECT * FROM ic.tags', 'XYZ123');
SELECT count(*) FROM ic.contacts;
\echo :LAST_ERROR_SQLSTATE
-- a 5xx with the good token: the message has no token either
ALTER USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (SET token 'tok_test_2');
\! python3 test/fakectl.py fault 503_json --path /tags --count 4
SELECT position('tok_test' IN ic_sec_error_text('SELECT count(*) FROM ic.tags')) AS token_in_error;
\! python3 test/fakectl.py faults-clear

--
-- 5. Each role's queries use its own mapping, also in one session: the
-- connection of one mapping is never reused for another.
--
ALTER USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (SET token 'tok_secret_XYZ123');
SELECT ic_try('SELECT count(*)::text FROM ic.tags');
RESET ROLE;
SELECT ic_try('SELECT count(*)::text FROM ic.tags');
SET ROLE regress_ic_alice;
SELECT ic_try('SELECT count(*)::text FROM ic.tags');
RESET ROLE;
-- a view reads with its owner's mapping
CREATE VIEW public.ic_sec_tags AS SELECT * FROM ic.tags;
GRANT SELECT ON public.ic_sec_tags TO regress_ic_alice;
SET ROLE regress_ic_alice;
SELECT ic_try('SELECT count(*)::text FROM public.ic_sec_tags');
SELECT ic_try('SELECT count(*)::text FROM ic.tags');
RESET ROLE;

--
-- 6. A role without a mapping gets PostgreSQL's error; a mapping without a
-- token gets a hint (and no other role's token).
--
SET ROLE regress_ic_bob;
SELECT ic_try('SELECT count(*)::text FROM ic.tags');
RESET ROLE;
CREATE USER MAPPING FOR regress_ic_bob SERVER fake;
SET ROLE regress_ic_bob;
SELECT ic_try('SELECT count(*)::text FROM ic.tags');
SELECT usename, umoptions FROM pg_user_mappings WHERE srvname = 'fake' ORDER BY usename;
RESET ROLE;
-- an empty token is refused without echoing anything
ALTER USER MAPPING FOR regress_ic_bob SERVER fake OPTIONS (ADD token '');
\echo :LAST_ERROR_SQLSTATE

-- cleanup
DROP VIEW public.ic_sec_tags;
DROP USER MAPPING FOR regress_ic_alice SERVER fake;
DROP USER MAPPING FOR regress_ic_bob SERVER fake;
DROP OWNED BY regress_ic_alice, regress_ic_bob CASCADE;
DROP ROLE regress_ic_alice;
DROP ROLE regress_ic_bob;
DROP FUNCTION public.ic_try(text), public.ic_sec_explain_has(text, text, text),
  public.ic_sec_error_text(text), public.ic_sec_url(text);
DROP SERVER fake CASCADE;
DROP SCHEMA ic CASCADE;
