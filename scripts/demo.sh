#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts a throwaway PostgreSQL
# cluster (15, or PG_MAJOR=17 / 18) and the bundled fake Intercom workspace (or uses the real Intercom
# API when INTERCOM_TOKEN is set; INTERCOM_REGION=us|eu|au), imports the
# eleven tables, runs a few example queries and tells you how to connect.
# Both servers stop by themselves after DEMO_MINUTES (default 60).
source "$(dirname "$0")/lib.sh"

minutes="${DEMO_MINUTES:-60}"
ensure_packages
use_pg "${PG_MAJOR:-15}"
build_and_install
start_cluster
if [ -z "${INTERCOM_TOKEN:-}" ]; then
  FAKE_LIFETIME=$((minutes * 60)) start_fake --dataset demo
  server_opts="api_url '$FAKE_URL'"
  token="tok_test_1"
  log "using the bundled fake Intercom workspace (set INTERCOM_TOKEN to use your own)"
else
  server_opts="region '${INTERCOM_REGION:-us}'"
  token="$INTERCOM_TOKEN"
  log "using the real Intercom API (region ${INTERCOM_REGION:-us})"
fi

psql -X -q -d postgres -c "CREATE DATABASE demo"
psql -X -q -d demo -v ON_ERROR_STOP=1 <<SQL
SET log_statement = 'none';  -- keep the token out of the server log
CREATE EXTENSION intercom_fdw;
CREATE SERVER intercom FOREIGN DATA WRAPPER intercom_fdw OPTIONS ($server_opts);
CREATE USER MAPPING FOR CURRENT_USER SERVER intercom OPTIONS (token '$token');
CREATE SCHEMA intercom;
IMPORT FOREIGN SCHEMA intercom FROM SERVER intercom INTO intercom
  OPTIONS (custom_attributes 'true');
SQL

run() { printf '\n-- %s\n' "$1"; psql -X -d demo -c "$1"; }
run "SELECT id, name, email, job_title FROM intercom.admins ORDER BY name LIMIT 5"
run "SELECT name, array_length(ARRAY(SELECT jsonb_array_elements(admin_ids)), 1) AS admins FROM intercom.teams ORDER BY name"
run "SELECT count(*) AS contacts, count(*) FILTER (WHERE role = 'lead') AS leads FROM intercom.contacts"
run "EXPLAIN (COSTS OFF) SELECT id, email FROM intercom.contacts WHERE updated_at > now() - interval '30 days'"
run "SELECT id, email, updated_at FROM intercom.contacts WHERE updated_at > now() - interval '365 days' ORDER BY updated_at DESC LIMIT 5"
run "SELECT state, count(*) FROM intercom.conversations GROUP BY state ORDER BY state"
run "SELECT c.id, c.state, count(p.*) AS parts FROM intercom.conversations c JOIN intercom.conversation_parts p ON p.conversation_id = c.id GROUP BY c.id, c.state ORDER BY parts DESC LIMIT 5"

# stop both servers by themselves later; the user explores meanwhile
trap - EXIT
( sleep $((minutes * 60)); run_cleanup ) >/dev/null 2>&1 &
disown
cat <<MSG

The demo cluster runs for $minutes minutes. Explore it with:

  psql -h $PGHOST -p $PGPORT -U postgres demo

Tables are in schema "intercom" (\\det intercom.*). Stop everything now with:

  $(stop_command)
MSG
