#!/usr/bin/env bash
# A backup restores to a working state: pg_dump a database with copies, its
# sync_state and sync_log (one failed run in it), pg_restore it into a new
# database, and the next runs there continue from the restored bookmarks
# (incremental, not a full reload), succeed, and log after the restored rows.
# Before the log's id sequence was dumped with the extension's tables, the
# first run after a restore failed with 23505 on sync_log_pkey.
source "$(dirname "$0")/_lib.sh"
bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
# pg_dump refuses a newer server; Debian 12's is 15's, and newer ones need
# glibc 2.38 (README, "PostgreSQL versions"): runs where a pg_dump can dump
pg_dump="$bin/pg_dump"; [ -x "$pg_dump" ] || pg_dump="$(command -v pg_dump)"
dump_major="$("$pg_dump" --version | awk '{print $3}' | cut -d. -f1)"
server_major="$(psql -X -At -d postgres -c "SELECT current_setting('server_version_num')::int / 10000")"
if [ "$dump_major" -lt "$server_major" ]; then
  echo "pg_dump $dump_major cannot dump PostgreSQL $server_major: runs on PostgreSQL $dump_major and older only"
  exit 77
fi

SRC=ic_script_backup
DST=ic_script_restore
# q DB SQL: one query's unaligned output; any error fails the script
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "SET intercom_fdw.progress = off" -c "$2"; }
# check DB SQL WHAT: SQL must return t
check() {
  local got
  got="$(q "$1" "$2")" || fail "$3: the query failed"
  [ "$got" = t ] || fail "$3 (got '$got')"
  ok "$3"
}

setup_db "$SRC"
q "$SRC" "CALL intercom_fdw.materialize_run('ic.contacts', 'public.contacts_copy')" >/dev/null
q "$SRC" "CALL intercom_fdw.materialize_run('ic.tags', 'public.tags_copy')" >/dev/null
fakectl mutate contacts --count 2
q "$SRC" "CALL intercom_fdw.materialize_run('ic.contacts', 'public.contacts_copy')" >/dev/null
fakectl fault 500 --count 20 --path /tags
if q "$SRC" "CALL intercom_fdw.materialize_run('ic.tags', 'public.tags_copy')" >/dev/null 2>&1; then
  fail "the run with HTTP 500 from /tags succeeded"
fi
fakectl faults-clear
check "$SRC" "SELECT string_agg(status, ',' ORDER BY id) = 'succeeded,succeeded,succeeded,failed'
                FROM intercom_fdw.sync_log" "the source database has 3 succeeded runs and 1 failed one"

# everything that must come back, as text
state_sql="SELECT string_agg(s::text, E'\n' ORDER BY target) FROM intercom_fdw.sync_state s"
log_sql="SELECT string_agg(l::text, E'\n' ORDER BY id) FROM intercom_fdw.sync_log l"
copies_sql="SELECT md5(string_agg(c::text, E'\n' ORDER BY c.id)) FROM public.contacts_copy c
            UNION ALL SELECT md5(string_agg(t::text, E'\n' ORDER BY t.id)) FROM public.tags_copy t"
state_src="$(q "$SRC" "$state_sql")"
log_src="$(q "$SRC" "$log_sql")"
copies_src="$(q "$SRC" "$copies_sql")"
max_id="$(q "$SRC" "SELECT max(id) FROM intercom_fdw.sync_log")"

dump="$(mktemp /tmp/ic_backup.XXXXXX)"
EXTRA_CLEANUP+=("rm -f $dump")
"$pg_dump" -Fc -d "$SRC" -f "$dump" || fail "pg_dump failed"
dropdb --if-exists --force "$DST" >/dev/null 2>&1 || true
createdb "$DST"
DBS+=("$DST")
# log_statement off: the restore recreates the user mapping, token and all
PGOPTIONS="-c log_statement=none" "$(dirname "$pg_dump")/pg_restore" --exit-on-error -d "$DST" "$dump" \
  || fail "pg_restore failed"
ok "pg_dump -Fc and pg_restore into a new database"

[ "$(q "$DST" "$state_sql")" = "$state_src" ] || fail "sync_state differs after the restore"
ok "sync_state restored as it was"
[ "$(q "$DST" "$log_sql")" = "$log_src" ] || fail "sync_log differs after the restore"
ok "sync_log restored as it was (with its failed run)"
[ "$(q "$DST" "$copies_sql")" = "$copies_src" ] || fail "the copies differ after the restore"
ok "the copies restored as they were"
check "$DST" "SELECT bool_and(s.rows = CASE s.target WHEN 'public.contacts_copy' THEN (SELECT count(*) FROM public.contacts_copy)
                                                   ELSE (SELECT count(*) FROM public.tags_copy) END)
                FROM intercom_fdw.sync_state s" "each state's row count is its restored copy's"
check "$DST" "SELECT last_value >= $max_id FROM intercom_fdw.sync_log_id_seq" \
  "the log's id sequence is restored past the restored rows"

# the same fake (the dump has its URL; said again, as after moving a server)
q "$DST" "ALTER SERVER fake OPTIONS (SET api_url '$FAKE_URL')" >/dev/null
bookmark="$(q "$DST" "SELECT bookmark FROM intercom_fdw.sync_state WHERE target = 'public.contacts_copy'")"
fakectl mutate contacts --count 3
fakectl log-clear
# the function form, in the restored database's own transaction
res="$(q "$DST" "SELECT method, rows_upserted >= 3, bookmark_from = '$bookmark'::timestamptz - interval '1 day 1 hour'
                   FROM intercom_fdw.materialize('ic.contacts', 'public.contacts_copy')")" \
  || fail "the first run after the restore failed"
[ "$res" = "incremental|t|t" ] || fail "the run after the restore was not incremental from the restored bookmark ($res)"
ok "the next contacts run is incremental from the restored bookmark"
n="$(fakectl log | grep -c '^POST /contacts/search 200 .*"field":"updated_at"' || true)"
[ "$n" = 1 ] || fail "expected one filtered contacts search, saw $n"
n="$(fakectl log | grep -c '^GET /contacts' || true)"
[ "$n" = 0 ] || fail "the run listed all contacts ($n GET /contacts): a full reload"
ok "it read through one filtered search, no full listing"
# the procedure form, on the full stream whose last run had failed
q "$DST" "CALL intercom_fdw.materialize_run('ic.tags', 'public.tags_copy')" >/dev/null \
  || fail "the tags run after the restore failed"

check "$DST" "SELECT string_agg(status || ':' || target, ',' ORDER BY id)
                   = 'succeeded:public.contacts_copy,succeeded:public.tags_copy'
                FROM intercom_fdw.sync_log WHERE id > $max_id" "both runs are logged after the restored rows"
check "$DST" "SELECT count(*) = $max_id FROM intercom_fdw.sync_log WHERE id <= $max_id" "the restored log rows are kept"
check "$DST" "SELECT bool_and(runs = CASE target WHEN 'public.contacts_copy' THEN 3 ELSE 2 END)
                     AND bool_and(bookmark > '$bookmark')
                FROM intercom_fdw.sync_state" "the state continues: runs counted on, bookmarks advanced"
check "$DST" "SELECT count(*) = 0 FROM ((SELECT * FROM ic.contacts EXCEPT SELECT * FROM public.contacts_copy)
                                  UNION ALL (SELECT * FROM public.contacts_copy EXCEPT SELECT * FROM ic.contacts)) d" \
  "the restored contacts copy equals the source after the run"
check "$DST" "SELECT count(*) = 0 FROM ((SELECT * FROM ic.tags EXCEPT SELECT * FROM public.tags_copy)
                                  UNION ALL (SELECT * FROM public.tags_copy EXCEPT SELECT * FROM ic.tags)) d" \
  "the restored tags copy equals the source after the run"
