#!/usr/bin/env bash
# pg_terminate_backend during a slow Intercom response: the backend is gone
# within 1 s, and its client is told so.
source "$(dirname "$0")/_lib.sh"
DB=ic_script_terminate
setup_db "$DB"
fakectl reset
fakectl fault slow --path /contacts --delay-ms 20000 --count 1

out="$(mktemp)"; EXTRA_CLEANUP+=("rm -f $out")
start="$(now)"
psql -X -d "$DB" -v ON_ERROR_STOP=0 -At >"$out" 2>&1 <<'SQL' &
SET application_name = 'ic_terminate';
SELECT count(*) FROM ic.contacts;
SQL
client=$!; BG_PIDS+=("$client")

pid="$(backend_pid "$DB" ic_terminate)" || fail "the query's backend never showed in pg_stat_activity"
sleep_until "$start" 1
[ "$(fakectl count --path /contacts)" = 1 ] || fail "the slow request was not sent"
term="$(now)"
[ "$(psql -X -At -d "$DB" -c "SELECT pg_terminate_backend($pid)")" = t ] || fail "pg_terminate_backend failed"
gone=""
while le "$(elapsed "$term")" 5; do
  if [ ! -d "/proc/$pid" ]; then gone="$(elapsed "$term")"; break; fi
  sleep 0.02
done
[ -n "$gone" ] || fail "backend $pid still running 5 s after pg_terminate_backend"
le "$gone" 1.0 || fail "backend $pid ended ${gone}s after pg_terminate_backend (limit 1 s)"
ok "backend ended ${gone}s after pg_terminate_backend"
rc=0; wait_exit "$client" 5 || rc=$?
cat "$out"
[ "$rc" -ne 124 ] || fail "psql still running 5 s after the backend ended"
grep -qF "terminating connection due to administrator command" "$out" ||
  fail "psql was not told 'terminating connection due to administrator command'"
ok "the client got 'terminating connection due to administrator command'"
[ "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid")" = 0 ] ||
  fail "backend $pid still in pg_stat_activity"
# a new session works
[ "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM ic.contacts")" = 123 ] || fail "a new session's query failed"
ok "a new session's query returned 123 rows"
