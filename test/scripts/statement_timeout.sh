#!/usr/bin/env bash
# statement_timeout = 1s ends a query stuck on a slow Intercom response, and
# one in a backoff wait between retries, about 1 s after it started.
source "$(dirname "$0")/_lib.sh"
DB=ic_script_statement_timeout
setup_db "$DB"

# run_timed LABEL: run SELECT count(*) FROM ic.contacts under a 1 s
# statement_timeout; check the message and that it ended within 0.9-1.6 s
run_timed() {
  local label="$1" out start took
  out="$(mktemp)"; EXTRA_CLEANUP+=("rm -f $out")
  start="$(now)"
  psql -X -d "$DB" -v ON_ERROR_STOP=0 -At >"$out" 2>&1 <<'SQL' &
SET statement_timeout = '1s';
SELECT count(*) FROM ic.contacts;
SQL
  local client=$!; BG_PIDS+=("$client")
  wait_for_output "$out" "ERROR:  canceling statement due to statement timeout" 15 ||
    { cat "$out"; fail "$label: no 'canceling statement due to statement timeout' within 15 s"; }
  took="$(elapsed "$start")"
  cat "$out"
  le "$took" 1.6 || fail "$label: the query ended ${took}s after it started (limit 1.6 s)"
  le 0.9 "$took" || fail "$label: the query ended after ${took}s, before the 1 s timeout could act"
  ok "$label: canceling statement due to statement timeout after ${took}s"
  local rc=0; wait_exit "$client" 5 || rc=$?
  [ "$rc" -ne 124 ] || fail "$label: psql still running"
}

# a response that takes 20 s
fakectl reset
fakectl fault slow --path /contacts --delay-ms 20000 --count 1
run_timed "slow response"

# a 10-20 s backoff after a 500
psql -X -q -d "$DB" -c "ALTER SERVER fake OPTIONS (SET retry_base_ms '20000')"
fakectl reset
fakectl fault 500 --path /contacts --count 3
run_timed "backoff wait"
[ "$(fakectl count --path /contacts)" = 1 ] || fail "backoff wait: expected one request, the 500, before the timeout"

# the next query in a new session works
fakectl faults-clear
[ "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM ic.contacts")" = 123 ] || fail "the query failed after the timeouts"
ok "the query works once the fake is well"
