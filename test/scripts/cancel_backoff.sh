#!/usr/bin/env bash
# pg_cancel_backend during a backoff wait between retries (retry_base_ms
# 20000, so the wait is 10-20 s): the query ends within 1 s, and the same
# session works after.
source "$(dirname "$0")/_lib.sh"
DB=ic_script_cancel_backoff
setup_db "$DB"
psql -X -q -d "$DB" -c "ALTER SERVER fake OPTIONS (SET retry_base_ms '20000')"
fakectl reset
fakectl fault 500 --path /contacts --count 3

out="$(mktemp)"; EXTRA_CLEANUP+=("rm -f $out")
start="$(now)"
psql -X -d "$DB" -v ON_ERROR_STOP=0 -At >"$out" 2>&1 <<SQL &
SET application_name = 'ic_cancel_backoff';
SELECT count(*) FROM ic.contacts;
\! python3 $ROOT/test/fakectl.py faults-clear
SELECT 'after cancel: ' || count(*) FROM ic.contacts;
SQL
client=$!; BG_PIDS+=("$client")

pid="$(backend_pid "$DB" ic_cancel_backoff)" || fail "the query's backend never showed in pg_stat_activity"
sleep_until "$start" 1
[ "$(fakectl count --path /contacts)" = 1 ] || fail "expected exactly one (failed) request before the backoff"
cancel="$(now)"
[ "$(psql -X -At -d "$DB" -c "SELECT pg_cancel_backend($pid)")" = t ] || fail "pg_cancel_backend failed"
wait_for_output "$out" "ERROR:  canceling statement due to user request" 10 ||
  { cat "$out"; fail "no 'canceling statement due to user request' within 10 s of the cancel"; }
took="$(elapsed "$cancel")"
le "$took" 1.0 || fail "the query was canceled ${took}s after pg_cancel_backend (limit 1.0 s)"
ok "canceled with 'canceling statement due to user request' ${took}s after pg_cancel_backend"
rc=0; wait_exit "$client" 10 || rc=$?
cat "$out"
[ "$rc" -ne 124 ] || fail "psql still running 10 s after the cancel"
grep -qx 'after cancel: 123' "$out" || fail "the session did not work after the cancel"
ok "the same session's next query returned 123 rows"
