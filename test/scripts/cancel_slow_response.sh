#!/usr/bin/env bash
# pg_cancel_backend during a slow Intercom response: the query ends within
# 1.5 s with the usual cancel message, and the same session works after.
# Three places a response is awaited: a page fetched in the foreground (the
# first), a prefetched page (the 3rd), and a conversation downloading in the
# sliding window of child requests (conversation_parts).  After the cancel
# the session's next query returns as many rows as a clean run before it.
source "$(dirname "$0")/_lib.sh"
DB=ic_script_cancel_slow
setup_db "$DB"
psql -X -q -d "$DB" -c "ALTER SERVER fake OPTIONS (ADD per_page '10')" \
  -c "IMPORT FOREIGN SCHEMA intercom LIMIT TO (conversation_parts) FROM SERVER fake INTO ic"

# cancel_case LABEL TABLE FAULT-ARGS...
cancel_case() {
  local label="$1" table="$2" rows out start pid cancel took client rc
  shift 2
  fakectl reset
  rows="$(psql -X -At -d "$DB" -c "SELECT count(*) FROM $table")"
  fakectl fault slow --delay-ms 20000 --count 1 "$@"
  out="$(mktemp)"; EXTRA_CLEANUP+=("rm -f $out")
  start="$(now)"
  psql -X -d "$DB" -v ON_ERROR_STOP=0 -At >"$out" 2>&1 <<SQL &
SET application_name = 'ic_cancel_slow';
SELECT count(*) FROM $table;
SELECT 'after cancel: ' || count(*) FROM $table;
SQL
  client=$!; BG_PIDS+=("$client")
  pid="$(backend_pid "$DB" ic_cancel_slow)" || fail "$label: the query's backend never showed in pg_stat_activity"
  sleep_until "$start" 1
  [ "$(fakectl stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["faults_pending"])')" = 0 ] ||
    fail "$label: the slow request was not sent within 1 s"
  cancel="$(now)"
  [ "$(psql -X -At -d "$DB" -c "SELECT pg_cancel_backend($pid)")" = t ] || fail "$label: pg_cancel_backend failed"
  wait_for_output "$out" "ERROR:  canceling statement due to user request" 10 ||
    { cat "$out"; fail "$label: no 'canceling statement due to user request' within 10 s of the cancel"; }
  took="$(elapsed "$cancel")"
  le "$took" 1.5 || fail "$label: the query was canceled ${took}s after pg_cancel_backend (limit 1.5 s)"
  ok "$label: canceled with 'canceling statement due to user request' ${took}s after pg_cancel_backend"
  rc=0; wait_exit "$client" 20 || rc=$?
  [ "$rc" -ne 124 ] || { cat "$out"; fail "$label: psql still running 20 s after the cancel"; }
  grep -qx "after cancel: $rows" "$out" || { cat "$out"; fail "$label: the session did not work after the cancel"; }
  ok "$label: the same session's next query returned $rows rows"
}

cancel_case "first page" ic.contacts --path /contacts
cancel_case "prefetched page" ic.contacts --path /contacts --after 2
cancel_case "conversation in the window" ic.conversation_parts --path /conversations/ --after 3
