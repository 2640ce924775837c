#!/usr/bin/env bash
# Issue 22's targets for adaptive concurrency and partitions (not a test):
#   - 100,000 contacts at 300 ms per request under a limit of BENCH_LIMIT
#     requests per 10 s (BENCH_LIMIT, default 1,000), concurrency BENCH_CONCURRENCY (64): requests per second achieved against
#     the limit's, and 429s; again with per_page 50 (over its first 30 s);
#   - 30,000 contacts and 4,500 conversations at 100 ms against the
#     sequential raw loop (bench/raw_fetch.c), and, with a baseline build
#     (below), against it, alternately (BENCH_LAT_RUNS times, default 3);
#   - 100,000 contacts at 0 ms: full scan and count(*), at the default
#     concurrency; with BENCH_BASELINE_PG_BIN (a PostgreSQL 15 tree with an
#     earlier intercom_fdw installed) against that build, alternately.
#   bash bench/adaptive.sh   -> bench/results/adaptive.md
#   BENCH_PARTS=lat (or rl, zero, comma-separated) runs only those parts.
# The machine is shared: numbers are one run, wall clock.
source "$(dirname "$0")/../scripts/lib.sh"
limit="${BENCH_LIMIT:-1000}"
ceiling="${BENCH_CONCURRENCY:-64}"   # the servers' concurrency option: the ceiling
out="${BENCH_OUT:-$REPO_ROOT/bench/results/adaptive.md}"
ensure_packages
use_pg "${PG_MAJOR:-15}"
build_and_install
start_cluster
raw="$WORK_DIR/raw_fetch"
gcc -O2 -Wall -o "$raw" "$REPO_ROOT/bench/raw_fetch.c" $(pkg-config --cflags --libs libcurl jansson)

FAKE_LIFETIME=7200 start_fake --dataset bench --contacts 100000 --conversations 10 --rate-limit "$limit"
warm_fake; rl_url="$FAKE_URL"
python3 "$REPO_ROOT/test/fakectl.py" --url "$rl_url" config latency_ms=300
FAKE_LIFETIME=7200 start_fake --dataset bench --contacts 30000 --conversations 4500 --rate-limit 100000000 --latency-ms 100
warm_fake; lat_url="$FAKE_URL"
FAKE_LIFETIME=7200 start_fake --dataset bench --contacts 100000 --conversations 10 --rate-limit 100000000
warm_fake; zero_url="$FAKE_URL"

psql -X -q -d postgres -c "CREATE DATABASE bench"
psql -X -q -d bench <<SQL
CREATE EXTENSION intercom_fdw;
CREATE SERVER rl FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url '$rl_url', concurrency '$ceiling');
CREATE SERVER lat FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url '$lat_url', concurrency '$ceiling');
CREATE SERVER zero FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url '$zero_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER rl OPTIONS (token 'tok_test_1');
CREATE USER MAPPING FOR CURRENT_USER SERVER lat OPTIONS (token 'tok_test_1');
CREATE USER MAPPING FOR CURRENT_USER SERVER zero OPTIONS (token 'tok_test_1');
CREATE SCHEMA rl; CREATE SCHEMA lat; CREATE SCHEMA zero;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts) FROM SERVER rl INTO rl;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, conversations) FROM SERVER lat INTO lat;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts) FROM SERVER zero INTO zero;
SQL
base_args=()
if [ -n "${BENCH_BASELINE_PG_BIN:-}" ]; then
  main_host="$PGHOST" main_port="$PGPORT"
  PG_BIN="$BENCH_BASELINE_PG_BIN" start_cluster
  psql -X -q -d postgres -c "CREATE DATABASE bench"
  psql -X -q -d bench <<SQL
CREATE EXTENSION intercom_fdw;
CREATE SERVER zero FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url '$zero_url');
CREATE SERVER lat FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url '$lat_url', concurrency '$ceiling');
CREATE USER MAPPING FOR CURRENT_USER SERVER zero OPTIONS (token 'tok_test_1');
CREATE USER MAPPING FOR CURRENT_USER SERVER lat OPTIONS (token 'tok_test_1');
CREATE SCHEMA zero; CREATE SCHEMA lat;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts) FROM SERVER zero INTO zero;
IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts, conversations) FROM SERVER lat INTO lat;
SQL
  base_args=(--base-host "$PGHOST" --base-port "$PGPORT")
  export PGHOST="$main_host" PGPORT="$main_port"
fi
# the limit's window starts afresh: IMPORT's requests do not count
sleep $(( 10 - $(date +%s) % 10 ))
python3 "$REPO_ROOT/bench/adaptive.py" --rl-url "$rl_url" --limit "$limit" --lat-url "$lat_url" \
  --zero-url "$zero_url" --raw "$raw" --out "$out" "${base_args[@]}" \
  $([ "${BENCH_ZERO_ONLY:-0}" = 1 ] && echo --zero-only)
