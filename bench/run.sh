#!/usr/bin/env bash
# Benchmarks of intercom_fdw against the fake Intercom (not part of the tests).
#
#   bash bench/run.sh [--quick] [--perf]   scans, conversation_parts, LIMIT, targets
#                                          -> bench/results/latest.md
#   bash bench/run.sh --memory [--quick]   peak memory of a 1,000,000-contact scan
#                                          -> bench/results/memory.md  (also bench/memory.sh)
#
# Sizes: full 100,000 contacts / 2,000 conversations; --quick 20,000 / 300;
# memory 1,000,000 contacts (--quick: 50,000).  Override with BENCH_CONTACTS,
# BENCH_CONVERSATIONS; the concurrency levels compared with 1 with
# BENCH_CONCURRENCY (default "8 16"; the server default is 64 since issue 22, 8 before); the fake's latency with BENCH_LATENCY_MS
# (default 20).  Partitioned scans are measured on a third fake at BENCH_PARTITION_LATENCY_MS
# (default 100) holding BENCH_PARTITION_CONVERSATIONS conversations (default 10,000; --quick
# 2,000), against the raw lower bound at that latency.  If intercom_fdw.materialize exists, BENCH_MATERIALIZE_SQL
# gives its call ({schema} = the schema of the imported tables).
# --perf records a perf profile of the full-column scan at latency 0
# (bench/results/perf.txt).
source "$(dirname "$0")/../scripts/lib.sh"

mode=main quick=0 perf=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --memory) mode=memory ;;
    --perf) perf=1 ;;
    *) echo "usage: bash bench/run.sh [--quick] [--memory] [--perf]" >&2; exit 2 ;;
  esac
done
if [ "$mode" = memory ]; then
  contacts="${BENCH_CONTACTS:-$([ $quick = 1 ] && echo 50000 || echo 1000000)}"
  conversations=10
  out="$REPO_ROOT/bench/results/memory.md"
else
  contacts="${BENCH_CONTACTS:-$([ $quick = 1 ] && echo 20000 || echo 100000)}"
  conversations="${BENCH_CONVERSATIONS:-$([ $quick = 1 ] && echo 300 || echo 2000)}"
  out="$REPO_ROOT/bench/results/latest.md"
fi
latency="${BENCH_LATENCY_MS:-20}"
platency="${BENCH_PARTITION_LATENCY_MS:-100}"
pconversations="${BENCH_PARTITION_CONVERSATIONS:-$([ $quick = 1 ] && echo 2000 || echo 10000)}"

ensure_packages
build_and_install
start_cluster
raw="$WORK_DIR/raw_fetch"
gcc -O2 -Wall -o "$raw" "$REPO_ROOT/bench/raw_fetch.c" $(pkg-config --cflags --libs libcurl jansson)

fake_args=(--dataset bench --contacts "$contacts" --conversations "$conversations" --rate-limit 100000000)
# prewarm: render every page once, so that the raw lower bound (measured
# first) and the FDW (measured after it) are served from the same warm
# cache; the 1,000,000-contact memory run does not compare times.
prewarm() {
  if [ "$mode" = main ]; then
    log "prewarming the fake at $FAKE_URL"
    python3 "$REPO_ROOT/test/fakectl.py" --url "$FAKE_URL" prewarm --per-page 150 >/dev/null
  fi
}
FAKE_LIFETIME=7200 start_fake "${fake_args[@]}"
prewarm
url0="$FAKE_URL"
args=(--mode "$mode" --contacts "$contacts" --conversations "$conversations" --url0 "$url0"
      --raw "$raw" --out "$out" --latency "$latency")
if [ "$mode" = main ]; then
  FAKE_LIFETIME=7200 start_fake "${fake_args[@]}" --latency-ms "$latency"
  prewarm
  args+=(--url20 "$FAKE_URL")
  FAKE_LIFETIME=7200 start_fake --dataset bench --contacts "$contacts" --conversations "$pconversations" \
    --rate-limit 100000000 --latency-ms "$platency"
  prewarm
  args+=(--url100 "$FAKE_URL" --platency "$platency" --pconversations "$pconversations")
fi
[ $quick = 1 ] && args+=(--quick)
[ $perf = 1 ] && args+=(--perf)

python3 "$REPO_ROOT/bench/bench.py" "${args[@]}"

if [ $perf = 1 ] && [ -f "$REPO_ROOT/bench/results/perf.data" ]; then
  log "perf profile -> bench/results/perf.txt"
  { echo "# by shared object"; \
    perf report -i "$REPO_ROOT/bench/results/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null \
      | grep -E '^ +[0-9]' | head -n 15; \
    echo "# by symbol"; \
    perf report -i "$REPO_ROOT/bench/results/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null \
      | grep -E '^ +[0-9]' | head -n 60; \
    echo "# callers (caller graph, top)"; \
    perf report -i "$REPO_ROOT/bench/results/perf.data" --children --sort symbol -g caller,0.5,callee --stdio 2>/dev/null \
      | grep -v '^$' | head -n 150; } > "$REPO_ROOT/bench/results/perf.txt" || true
  rm -f "$REPO_ROOT/bench/results/perf.data" "$REPO_ROOT/bench/results/perf.data.old"
fi
log "results in ${out#$REPO_ROOT/}"
