#!/usr/bin/env bash
# pg_stat_activity names what a backend waits on. On PostgreSQL 17 and later
# the extension's own wait events (src/http/wait_events.c): IntercomResponse
# during a slow response, IntercomRetryBackoff in the pause before a retry
# after HTTP 500. Before 17 both are the generic "Extension". The wait event
# type is "Extension" on every version.
source "$(dirname "$0")/_lib.sh"
DB=ic_script_wait_events
setup_db "$DB"
version="$(psql -X -At -d "$DB" -c "SHOW server_version_num")"
if [ "$version" -ge 170000 ]; then
  want_response=IntercomResponse want_backoff=IntercomRetryBackoff
else
  want_response=Extension want_backoff=Extension
fi

# seen_wait LABEL WANT SQL: run SQL in the background and sample its
# backend's wait event every 20 ms until WANT shows (or 10 s pass)
seen_wait() {
  local label="$1" want="$2" sql="$3" start pid seen="" client
  start="$(now)"
  psql -X -q -d "$DB" -At >/dev/null 2>&1 <<SQL &
SET application_name = 'ic_wait_events';
$sql
SQL
  client=$!; BG_PIDS+=("$client")
  pid="$(backend_pid "$DB" ic_wait_events)" || fail "$label: the query's backend never showed in pg_stat_activity"
  while le "$(elapsed "$start")" 10; do
    seen="$(psql -X -At -d "$DB" -c "SELECT wait_event_type || '/' || wait_event FROM pg_stat_activity WHERE pid = $pid")"
    [ "$seen" = "Extension/$want" ] && break
    sleep 0.02
  done
  [ "$seen" = "Extension/$want" ] || fail "$label: wait event '$seen', expected 'Extension/$want'"
  ok "$label: pg_stat_activity shows wait_event_type/wait_event = Extension/$want"
  wait_exit "$client" 30 >/dev/null || true
}

fakectl reset
fakectl fault slow --delay-ms 3000 --count 1 --path /contacts
seen_wait "slow response" "$want_response" "SELECT count(*) FROM ic.contacts;"

fakectl reset
fakectl fault 500 --count 1 --path /tags
seen_wait "retry backoff" "$want_backoff" \
  "ALTER SERVER fake OPTIONS (SET retry_base_ms '3000'); SELECT count(*) FROM ic.tags;"
