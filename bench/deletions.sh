#!/usr/bin/env bash
# Benchmark of issue 20 (not part of the tests): what incremental
# materialize runs spend to let go of records deleted upstream.
#
#   bash bench/deletions.sh        -> bench/results/deletions.md
#
# Against the fake (--dataset bench, BENCH_CONTACTS contacts, default
# 100,000; BENCH_CONVERSATIONS conversations, default 2,000; latency 0):
#  1. a copy of the contacts; an incremental run with nothing deleted: its
#     reconciliation requests against a full read's (target: at most 2%);
#  2. 10 contacts deleted and 5 merged upstream: the next incremental run
#     removes exactly those 15 (target: at most 200 requests), and the copy
#     then holds the source's ids;
#  3. copies of conversations, conversation_parts, conversation_tags and
#     conversation_contacts; 50 conversations deleted: after one incremental
#     run of each, none of their rows is left (target: at most 3 feed
#     requests per copy).
source "$(dirname "$0")/../scripts/lib.sh"

contacts="${BENCH_CONTACTS:-100000}"
conversations="${BENCH_CONVERSATIONS:-2000}"
out="$REPO_ROOT/bench/results/deletions.md"

ensure_packages
build_and_install
start_cluster
FAKE_LIFETIME=7200 start_fake --dataset bench --contacts "$contacts" --conversations "$conversations" \
  --rate-limit 100000000
ctl() { python3 "$REPO_ROOT/test/fakectl.py" "$@"; }
q() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

q <<SQL
CREATE EXTENSION intercom_fdw;
CREATE SERVER fake FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url '$FAKE_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER fake OPTIONS (token 'tok_test_1');
CREATE SCHEMA ic;
IMPORT FOREIGN SCHEMA intercom FROM SERVER fake INTO ic;
SQL
run() {  # run SOURCE TARGET: one materialize, then its sync_log row as key=value
  q -c "SET intercom_fdw.progress = off" -c "SELECT 1 FROM intercom_fdw.materialize('$1', '$2')" >/dev/null
  q -F' ' -c "SELECT 'method=' || method, 'requests=' || requests, 'deleted=' || rows_deleted,
                     'merged=' || coalesce(rows_merged, 0), 'repaired=' || coalesce(rows_repaired, 0),
                     'reconcile_requests=' || coalesce(reconcile_requests, 0),
                     'elapsed_s=' || round(extract(epoch FROM elapsed)::numeric, 1),
                     'reconcile=' || quote_literal(coalesce(reconcile, ''))
                FROM intercom_fdw.sync_log WHERE target = '$2' ORDER BY id DESC LIMIT 1"
}
field() { sed -E "s/(^|.* )$1=([^ ]*).*/\2/" <<<"$2"; }

log "1. full load of $contacts contacts"
full=$(run ic.contacts public.contacts_copy)
log "   $full"
log "   incremental run, nothing deleted"
quiet=$(run ic.contacts public.contacts_copy)
log "   $quiet"

log "2. 10 contacts deleted, 5 merged"
ctl delete contacts --count 10 --print-ids >"$WORK_DIR/gone"
ctl merge contacts --count 5 --print-ids >>"$WORK_DIR/gone"
gone=$(paste -sd, "$WORK_DIR/gone" | sed "s/[^,]*/'&'/g")
before=$(q -c "SELECT count(*) FROM public.contacts_copy")
changed=$(run ic.contacts public.contacts_copy)
log "   $changed"
after=$(q -c "SELECT count(*) FROM public.contacts_copy")
left=$(q -c "SELECT count(*) FROM public.contacts_copy WHERE id IN ($gone)")
mismatch=$(q -c "SELECT count(*) FROM ((SELECT id FROM ic.contacts EXCEPT SELECT id FROM public.contacts_copy)
                  UNION ALL (SELECT id FROM public.contacts_copy EXCEPT SELECT id FROM ic.contacts)) d")

log "3. $conversations conversations and their parts and link rows, 50 deleted"
for s in conversations conversation_parts conversation_tags conversation_contacts; do
  run "ic.$s" "public.${s}_copy" >/dev/null
done
ctl delete conversations --count 50 --print-ids >"$WORK_DIR/convs"
cgone=$(paste -sd, "$WORK_DIR/convs" | sed "s/[^,]*/'&'/g")
conv_rows=""
for s in conversations conversation_parts conversation_tags conversation_contacts; do
  key=$([ "$s" = conversations ] && echo id || echo conversation_id)
  had=$(q -c "SELECT count(*) FROM public.${s}_copy WHERE $key IN ($cgone)")
  ctl log-clear
  r=$(run "ic.$s" "public.${s}_copy")
  feed=$(ctl count --path /conversations/deleted)
  still=$(q -c "SELECT count(*) FROM public.${s}_copy WHERE $key IN ($cgone)")
  log "   $s: $r feed=$feed had=$had left=$still"
  conv_rows+="| $s | $(field method "$r") | $had | $(field deleted "$r") | $still | $feed | $(field requests "$r") |"$'\n'
done

full_req=$(field requests "$full")
quiet_rc=$(field reconcile_requests "$quiet")
changed_req=$(field requests "$changed")
changed_rc=$(field reconcile_requests "$changed")
pct=$(python3 -c "print(f'{100 * $quiet_rc / $full_req:.2f}')")
{
  echo "# Deleted records: what incremental runs spend (issue 20)"
  echo
  echo "\`bash bench/deletions.sh\`, $(date -u +%Y-%m-%d), fake at latency 0, $contacts contacts, $conversations conversations."
  echo "Requests are counted by the wrapper (sync_log.requests, reconcile_requests)."
  echo
  echo "| measure | result | target |"
  echo "|---|---|---|"
  echo "| full read of the contacts | $full_req requests, $(field elapsed_s "$full") s | |"
  echo "| incremental run, nothing deleted: reconciliation | $quiet_rc requests ($pct% of a full read), $(field elapsed_s "$quiet") s | at most 2% |"
  echo "| incremental run after 10 deleted + 5 merged | $changed_req requests ($changed_rc reconciling), $(field elapsed_s "$changed") s | at most 200 |"
  echo "| rows removed (merged among them) | $(field deleted "$changed") ($(field merged "$changed")), copy $before → $after rows | exactly 15 (5) |"
  echo "| deleted ids left in the copy | $left | 0 |"
  echo "| ids differing between copy and source after | $mismatch | 0 |"
  echo
  echo "50 conversations deleted, one incremental run of each copy:"
  echo
  echo "| copy | method | rows of them before | rows deleted | left | feed requests | requests |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s' "$conv_rows"
  echo
  echo "conversation_tags and conversation_contacts are read whole by every run (full): the rows"
  echo "of deleted conversations are not returned and go without the feed."
} >"$out"
log "wrote $out"
cat "$out"
