# Shared by test/scripts/*.sh: a database of the script's own with the
# extension, a server on the fake Intercom, a mapping and the tables;
# timing helpers; cleanup of what the script started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${FAKE_URL:?FAKE_URL is not set (run through scripts/test.sh)}"
: "${PGHOST:?PGHOST is not set (run through scripts/test.sh)}"
export PGUSER="${PGUSER:-postgres}"

BG_PIDS=()
DBS=()
EXTRA_CLEANUP=()

fakectl() { python3 "$ROOT/test/fakectl.py" "$@"; }
now() { date +%s.%N; }
# elapsed START [END]: seconds between two now() stamps, 3 decimals
elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.3f", b - a }'; }
# le A B: true when A <= B (decimals)
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

cleanup() {
  local p
  set +e
  for p in "${BG_PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  for p in "${EXTRA_CLEANUP[@]:-}"; do
    [ -n "$p" ] && eval "$p"
  done
  fakectl reset >/dev/null 2>&1
  for p in "${DBS[@]:-}"; do
    [ -n "$p" ] && dropdb --if-exists --force "$p" >/dev/null 2>&1
  done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# setup_db NAME [URL] [TOKEN]: a fresh database with server "fake" (retries
# every 10 ms, 3 retries), a mapping and tables contacts, tags in schema ic
setup_db() {
  local db="$1" url="${2:-$FAKE_URL}" token="${3:-tok_test_1}"
  dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
  createdb "$db"
  DBS+=("$db")
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION intercom_fdw;
CREATE SERVER fake FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (api_url '$url', retry_base_ms '10', max_retries '3');
SET log_statement = 'none';
CREATE USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (token '$token');
RESET log_statement;
CREATE SCHEMA ic;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, tags, conversations)
  FROM SERVER fake INTO ic;
SQL
}

# backend_pid DB APPNAME: the pid of that session's active backend, waiting
# up to 5 s for it to show
backend_pid() {
  local db="$1" app="$2" pid="" i
  for i in $(seq 50); do
    pid="$(psql -X -At -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$app' AND state = 'active' LIMIT 1")"
    [ -n "$pid" ] && { echo "$pid"; return 0; }
    sleep 0.1
  done
  return 1
}

# wait_exit PID SECONDS: wait for a background process to end; its exit
# status, or 124 if it is still running after SECONDS
wait_exit() {
  local pid="$1" limit="$2" start
  start="$(now)"
  while kill -0 "$pid" 2>/dev/null; do
    le "$(elapsed "$start")" "$limit" || return 124
    sleep 0.02
  done
  wait "$pid" 2>/dev/null
}

# sleep_until START SECONDS: sleep until SECONDS after the stamp START
sleep_until() {
  local left
  left="$(awk -v a="$1" -v s="$2" -v n="$(now)" 'BEGIN { d = a + s - n; printf "%.3f", (d > 0 ? d : 0) }')"
  sleep "$left"
}

# wait_for_output FILE TEXT SECONDS: wait until FILE contains TEXT (psql
# prefixes errors with psql:<stdin>:LINE:); false if not within SECONDS
wait_for_output() {
  local file="$1" text="$2" limit="$3" start
  start="$(now)"
  until grep -qF -- "$text" "$file" 2>/dev/null; do
    le "$(elapsed "$start")" "$limit" || return 1
    sleep 0.02
  done
}
