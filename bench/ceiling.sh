#!/usr/bin/env bash
# The default of `concurrency` (issue 22, "raise the ceiling's default"); not
# a test.  One build, one cluster; servers without a concurrency option (the
# default) and with concurrency 'N' for each N of BENCH_CEILINGS ("16 32 64"):
#   - 100,000 contacts at 300 ms under a limit of BENCH_LIMIT (1,000) requests
#     per 10 s: rate against the limit's, 429s (and with per_page 50 over its
#     first 30 s);
#   - 100,000 contacts at 0 ms: full scan and count(*);
#   - conversation_parts of BENCH_CONVERSATIONS (2,000) conversations at 0 ms
#     and 20 ms (the per-parent window: concurrency, at most 32);
#   the last two alternated across the values, each against the default.
#   bash bench/ceiling.sh   -> bench/results/ceiling_default.md
# BENCH_RUNS (7) alternated runs of each.  The machine is shared: wall clock.
source "$(dirname "$0")/../scripts/lib.sh"
limit="${BENCH_LIMIT:-1000}"
conversations="${BENCH_CONVERSATIONS:-2000}"
ceilings="${BENCH_CEILINGS:-16 32 64}"
out="$REPO_ROOT/bench/results/ceiling_default.md"
ensure_packages
use_pg "${PG_MAJOR:-15}"
build_and_install
start_cluster

FAKE_LIFETIME=7200 start_fake --dataset bench --contacts 100000 --conversations 10 --rate-limit "$limit"
warm_fake; rl_url="$FAKE_URL"
python3 "$REPO_ROOT/test/fakectl.py" --url "$rl_url" config latency_ms=300
FAKE_LIFETIME=7200 start_fake --dataset bench --contacts 100000 --conversations "$conversations" --rate-limit 100000000
warm_fake; zero_url="$FAKE_URL"
FAKE_LIFETIME=7200 start_fake --dataset bench --contacts 1000 --conversations "$conversations" --rate-limit 100000000 \
  --latency-ms 20
warm_fake; twenty_url="$FAKE_URL"

psql -X -q -d postgres -c "CREATE DATABASE bench"
# server NAME URL TABLES [OPTIONS]: a server, its mapping and its tables
server() {
  echo "CREATE SERVER $1 FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url '$2'${4:+, $4});"
  echo "CREATE USER MAPPING FOR CURRENT_USER SERVER $1 OPTIONS (token 'tok_test_1');"
  echo "CREATE SCHEMA $1;"
  echo "IMPORT FOREIGN SCHEMA intercom LIMIT TO ($3) FROM SERVER $1 INTO $1;"
}
{
  echo "CREATE EXTENSION intercom_fdw;"
  for v in "" $ceilings; do
    opt=""; [ -z "$v" ] || opt="concurrency '$v'"
    server "rl$v" "$rl_url" contacts "$opt"
    server "zero$v" "$zero_url" "contacts, conversation_parts" "$opt"
    server "twenty$v" "$twenty_url" conversation_parts "$opt"
  done
} | psql -X -q -v ON_ERROR_STOP=1 -d bench
# the limit's window starts afresh: IMPORT's requests do not count
sleep $(( 10 - $(date +%s) % 10 ))
python3 "$REPO_ROOT/bench/ceiling.py" --rl-url "$rl_url" --limit "$limit" --conversations "$conversations" \
  --ceilings "$ceilings" --out "$out"
