-- Option validation (src/option.c): every rule, per context, with SQLSTATEs.
\i sql/include/setup.sql
\set VERBOSITY default

-- the FDW itself takes no options
ALTER FOREIGN DATA WRAPPER intercom_fdw OPTIONS (ADD api_url 'https://x.example.com');
\echo :LAST_ERROR_SQLSTATE

-- unknown options, one per context
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (foo 'bar');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_opt FOREIGN DATA WRAPPER intercom_fdw;
CREATE USER MAPPING FOR CURRENT_USER SERVER s_opt OPTIONS (token 'tok_x', foo 'bar');
\echo :LAST_ERROR_SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER s_opt OPTIONS (api_url 'https://x.example.com');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text) SERVER s_opt OPTIONS (stream 'tags', foo 'bar');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text) SERVER s_opt OPTIONS (stream 'tags', per_page '10');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text OPTIONS (foo 'bar')) SERVER s_opt OPTIONS (stream 'tags');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text OPTIONS (stream 'tags')) SERVER s_opt OPTIONS (stream 'tags');
\echo :LAST_ERROR_SQLSTATE

-- duplicates (PostgreSQL itself rejects a duplicate within one ADD list)
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (per_page '10', per_page '20');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_opt OPTIONS (ADD per_page '10');
ALTER SERVER s_opt OPTIONS (ADD per_page '20');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_opt OPTIONS (DROP per_page);

-- integers: malformed and out of range, and the bounds themselves
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (timeout_ms 'abc');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (timeout_ms '10s');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (timeout_ms '');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (timeout_ms '0');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (timeout_ms '3600001');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (timeout_ms '99999999999999999999');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (connect_timeout_ms '0');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (connect_timeout_ms '600001');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (max_retries '-1');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (max_retries '21');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (retry_base_ms '0');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (retry_base_ms '60001');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (per_page '0');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (per_page '151');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (per_page '1.5');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (concurrency '0');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (concurrency '65');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (write_concurrency '0');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (write_concurrency '65');
\echo :LAST_ERROR_SQLSTATE
-- every bound is accepted
CREATE SERVER s_lo FOREIGN DATA WRAPPER intercom_fdw OPTIONS (timeout_ms '1',
  connect_timeout_ms '1', max_retries '0', retry_base_ms '1', per_page '1', concurrency '1',
  write_concurrency '1');
CREATE SERVER s_hi FOREIGN DATA WRAPPER intercom_fdw OPTIONS (timeout_ms '3600000',
  connect_timeout_ms '600000', max_retries '20', retry_base_ms '60000', per_page '150', concurrency '64',
  write_concurrency '64');
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname IN ('s_lo', 's_hi') ORDER BY srvname;
-- and checked again by ALTER
ALTER SERVER s_hi OPTIONS (SET write_concurrency '65');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_lo OPTIONS (SET write_concurrency '0');
\echo :LAST_ERROR_SQLSTATE
DROP SERVER s_lo;
DROP SERVER s_hi;

-- booleans
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (pushdown 'maybe');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text) SERVER s_opt OPTIONS (stream 'tags', pushdown 'yes please');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_ok (id text) SERVER s_opt OPTIONS (stream 'tags', pushdown 'off');
DROP FOREIGN TABLE ft_ok;

-- region, api_url
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (region 'US');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (region 'ca');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_eu FOREIGN DATA WRAPPER intercom_fdw OPTIONS (region 'eu');
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (region 'eu', api_url 'https://api.example.com');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_eu OPTIONS (ADD api_url 'https://api.example.com');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_eu OPTIONS (DROP region, ADD api_url 'https://api.example.com');
ALTER SERVER s_eu OPTIONS (SET api_url 'http://example.com');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_eu OPTIONS (SET api_url 'http://127.0.0.1:1');
ALTER SERVER s_eu OPTIONS (SET api_url 'http://localhost:1/');
ALTER SERVER s_eu OPTIONS (SET api_url 'http://[::1]:1');
ALTER SERVER s_eu OPTIONS (SET api_url 'ftp://127.0.0.1');
\echo :LAST_ERROR_SQLSTATE
-- loopback means the host, not a prefix of it or a user name
ALTER SERVER s_eu OPTIONS (SET api_url 'http://127.0.0.1.example.com/');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_eu OPTIONS (SET api_url 'http://localhost.example.com');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_eu OPTIONS (SET api_url 'http://localhost@example.com');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_eu OPTIONS (SET api_url 'http://127.0.0.1:1@example.com');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_eu OPTIONS (SET api_url 'https://');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_eu OPTIONS (SET api_url '');
\echo :LAST_ERROR_SQLSTATE
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 's_eu';
DROP SERVER s_eu;

-- the token belongs in the user mapping, and its value is never echoed
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (token 'tok_SECRET_42');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text) SERVER s_opt OPTIONS (stream 'tags', token 'tok_SECRET_42');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text OPTIONS (token 'tok_SECRET_42')) SERVER s_opt OPTIONS (stream 'tags');
\echo :LAST_ERROR_SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER s_opt OPTIONS (token '');
\echo :LAST_ERROR_SQLSTATE

-- stream and path
CREATE FOREIGN TABLE ft_bad (id text) SERVER s_opt;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text) SERVER s_opt OPTIONS (pushdown 'true');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text) SERVER s_opt OPTIONS (stream 'users');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text) SERVER s_opt OPTIONS (stream 'Tags');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_bad (id text OPTIONS (path '')) SERVER s_opt OPTIONS (stream 'tags');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE ft_ok (id text OPTIONS (path 'id')) SERVER s_opt OPTIONS (stream 'tags');
-- the stream cannot be dropped from a table
ALTER FOREIGN TABLE ft_ok OPTIONS (DROP stream);
\echo :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE ft_ok OPTIONS (SET stream 'nope');
\echo :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE ft_ok OPTIONS (SET stream 'teams');
ALTER FOREIGN TABLE ft_ok ALTER COLUMN id OPTIONS (SET path '');
\echo :LAST_ERROR_SQLSTATE
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'ft_ok'::regclass;
DROP FOREIGN TABLE ft_ok;

-- start_date and the other text options
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (start_date 'yesterday-ish');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (start_date '2024-02-30');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (start_date '');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_version '');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_version 'latest');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_version '2.14x');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_sd FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (start_date '2024-01-31T00:00:00Z', api_version '2.11', pushdown 'false');
ALTER SERVER s_sd OPTIONS (SET api_version 'Preview');
DROP SERVER s_sd;

-- ALTER SERVER ... OPTIONS ADD / SET / DROP on the working server
ALTER SERVER fake OPTIONS (ADD per_page '5');
ALTER SERVER fake OPTIONS (SET per_page '7');
ALTER SERVER fake OPTIONS (SET per_page '700');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER fake OPTIONS (SET timeout_ms '15000');
\echo :LAST_ERROR_SQLSTATE
SELECT option_name, option_value FROM pg_options_to_table(
  (SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'fake'))
WHERE option_name <> 'api_url' ORDER BY option_name;
-- the altered server still works
SELECT count(*) FROM ic.tags;
ALTER SERVER fake OPTIONS (DROP per_page);
ALTER SERVER fake OPTIONS (DROP per_page);
\echo :LAST_ERROR_SQLSTATE
SELECT option_name FROM pg_options_to_table(
  (SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'fake')) ORDER BY 1;

-- a scan with no user mapping, then with a mapping that has no token
CREATE FOREIGN TABLE ft_nomap (id text) SERVER s_opt OPTIONS (stream 'tags');
SELECT * FROM ft_nomap;
\echo :LAST_ERROR_SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER s_opt;
SELECT * FROM ft_nomap;
\echo :LAST_ERROR_SQLSTATE
DROP USER MAPPING FOR CURRENT_USER SERVER s_opt;
DROP FOREIGN TABLE ft_nomap;

-- api_url is for superusers; a non-superuser can use the FDW once granted USAGE
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_ic_user;
RESET client_min_messages;
CREATE ROLE regress_ic_user;
GRANT CREATE ON SCHEMA public TO regress_ic_user;
SET ROLE regress_ic_user;
CREATE SERVER s_user FOREIGN DATA WRAPPER intercom_fdw OPTIONS (region 'eu');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT USAGE ON FOREIGN DATA WRAPPER intercom_fdw TO regress_ic_user;
SET ROLE regress_ic_user;
CREATE SERVER s_user FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url 'https://api.example.com');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER s_user FOREIGN DATA WRAPPER intercom_fdw OPTIONS (region 'eu', per_page '50');
ALTER SERVER s_user OPTIONS (DROP region, ADD api_url 'http://127.0.0.1:1');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER s_user OPTIONS (SET region 'au');
CREATE USER MAPPING FOR CURRENT_USER SERVER s_user OPTIONS (token 'tok_user');
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname = 's_user';
RESET ROLE;
-- the non-superuser can read through the superuser's server with its own mapping
GRANT USAGE ON FOREIGN SERVER fake TO regress_ic_user;
GRANT USAGE ON SCHEMA ic TO regress_ic_user;
GRANT SELECT ON ic.tags TO regress_ic_user;
SET ROLE regress_ic_user;
-- the superuser's token is invisible to this role (the token lives only in
-- the user mapping, whose options only its owner and superusers can see)
SELECT usename, umoptions FROM pg_user_mappings WHERE srvname = 'fake' ORDER BY usename;
SELECT count(*) FROM ic.tags;
\echo :LAST_ERROR_SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (token 'tok_test_1');
SELECT count(*) FROM ic.tags;
-- a wrong token: Intercom answers 401
ALTER USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (SET token 'tok_wrong');
SELECT count(*) FROM ic.tags;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP SERVER s_user CASCADE;
DROP USER MAPPING FOR regress_ic_user SERVER fake;
REVOKE ALL ON FOREIGN SERVER fake FROM regress_ic_user;
REVOKE ALL ON ic.tags FROM regress_ic_user;
REVOKE ALL ON SCHEMA ic FROM regress_ic_user;
REVOKE ALL ON SCHEMA public FROM regress_ic_user;
REVOKE ALL ON FOREIGN DATA WRAPPER intercom_fdw FROM regress_ic_user;
DROP ROLE regress_ic_user;

-- SQLSTATEs on the ERROR line itself (VERBOSITY sqlstate: unlike verbose,
-- no LOCATION line with a file:line that changes with every edit)
\set VERBOSITY sqlstate
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (per_page '151');
CREATE SERVER s_bad FOREIGN DATA WRAPPER intercom_fdw OPTIONS (nope '1');
\set VERBOSITY default

-- the stream catalogue
SELECT * FROM intercom_fdw.streams() ORDER BY stream;
DROP SERVER s_opt CASCADE;
