-- Common setup of every suite: a server pointing at the fake Intercom
-- ($FAKE_URL, started by scripts/test.sh), a user mapping, and the eleven
-- tables imported into schema ic.  The fake is reset to its seeded data.
SET client_min_messages = warning;
DROP SERVER IF EXISTS fake CASCADE;
DROP SCHEMA IF EXISTS ic CASCADE;
\set fake_url `echo "$FAKE_URL"`
CREATE SERVER fake FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (api_url :'fake_url', retry_base_ms '10', max_retries '3');
CREATE USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (token 'tok_test_1');
CREATE SCHEMA ic;
IMPORT FOREIGN SCHEMA intercom FROM SERVER fake INTO ic;
RESET client_min_messages;
\! python3 test/fakectl.py reset
