#!/usr/bin/env bash
# Benchmark of writes (issue 23's targets), not part of the tests:
#   UPDATE contacts SET <custom attribute> = ... on 1,000 contacts, and
#   INSERT INTO contact_tags SELECT ... of 1,000 rows,
# against the fake at BENCH_WRITE_LATENCY_MS (default 100) per request and
# Intercom's rate limit (1,666 requests per 10 s window), one request after
# another (write_concurrency 1) and in the write window (BENCH_WRITE_CONCURRENCY,
# default "8 16").  Writes bench/results/writes.md.  PostgreSQL as in
# scripts/test.sh: PG_MAJOR (15), PG15_BIN for a private 15 tree.
#   PG15_BIN=/opt/pg15-x/usr/lib/postgresql/15/bin bash bench/writes.sh
source "$(dirname "$0")/../scripts/lib.sh"

n="${BENCH_WRITE_ROWS:-1000}"
latency="${BENCH_WRITE_LATENCY_MS:-100}"
levels="${BENCH_WRITE_CONCURRENCY:-8 16}"
out="$REPO_ROOT/bench/results/writes.md"

ensure_packages
use_pg "${PG_MAJOR:-15}"
build_and_install
start_cluster
FAKE_LIFETIME=7200 start_fake --contacts "$n" --latency-ms "$latency"
trap run_cleanup EXIT

psql_q() { as_postgres "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
psql_q <<SQL
CREATE EXTENSION intercom_fdw;
CREATE SERVER bench FOREIGN DATA WRAPPER intercom_fdw
  OPTIONS (api_url '$FAKE_URL', updatable 'true', retry_base_ms '50');
CREATE USER MAPPING FOR CURRENT_USER SERVER bench OPTIONS (token 'tok_test_1');
CREATE SCHEMA w;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, contact_tags) FROM SERVER bench INTO w
  OPTIONS (custom_attributes 'true');
SQL

# run LABEL CONCURRENCY SQL: seconds, requests the fake saw, its 429s
run() {
  local label="$1" c="$2" sql="$3" t0 t1 stats
  psql_q -c "ALTER SERVER bench OPTIONS (SET write_concurrency '$c')" 2>/dev/null ||
    psql_q -c "ALTER SERVER bench OPTIONS (ADD write_concurrency '$c')"
  python3 "$REPO_ROOT/test/fakectl.py" reset
  python3 "$REPO_ROOT/test/fakectl.py" config latency_ms="$latency"
  t0=$(date +%s.%N)
  psql_q -c "SET client_min_messages = warning" -c "$sql" >/dev/null
  t1=$(date +%s.%N)
  stats=$(python3 "$REPO_ROOT/test/fakectl.py" stats)
  python3 - "$label" "$c" "$t0" "$t1" "$stats" <<'PY'
import json, sys
label, c, t0, t1, stats = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), json.loads(sys.argv[5])
print(f"| {label} | {c} | {t1 - t0:.1f} | {stats['api_requests']} | {stats['by_status'].get('429', 0)} |")
PY
}

update_sql="UPDATE w.contacts SET \"Plan Tier\" = 'bench-' || id"
tags_sql="INSERT INTO w.contact_tags (contact_id, tag_id) SELECT id, '105' FROM w.contacts"
{
  echo "# Writes: $n rows at ${latency} ms per request"
  echo
  echo "bash bench/writes.sh on $(nproc) cores, $(date -u +%Y-%m-%d); the fake's rate limit 1,666 requests per 10 s."
  echo "Requests include the scan's pages; 429s are the fake's refusals (waited out)."
  echo
  echo "| statement | write_concurrency | seconds | requests | 429s |"
  echo "|---|---|---|---|---|"
  for c in 1 $levels; do run "UPDATE contacts SET custom attribute" "$c" "$update_sql"; done
  for c in 1 $levels; do run "INSERT INTO contact_tags SELECT" "$c" "$tags_sql"; done
} | tee "$out"
