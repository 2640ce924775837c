#!/usr/bin/env bash
# Two builds of intercom_fdw side by side (issue 19's "no speed regression"):
# each PostgreSQL bin directory must have its build installed (make install
# PG_CONFIG=<bin>/pg_config).  One cluster per build, one fake at latency 0
# and one at 20 ms (100,000 contacts, pages prewarmed); the measurements
# alternate between the builds, so that drift of the machine hits both alike.
#   usage: bash bench/ab_builds.sh BEFORE_BIN AFTER_BIN [runs]
source "$(dirname "$0")/../scripts/lib.sh"
[ $# -ge 2 ] || { echo "usage: bash bench/ab_builds.sh BEFORE_BIN AFTER_BIN [runs]" >&2; exit 2; }
before_bin="$1" after_bin="$2" runs="${3:-3}"
ensure_packages
PG_BIN="$before_bin" start_cluster
before_port="$PGPORT" before_host="$PGHOST"
PG_BIN="$after_bin" start_cluster
after_port="$PGPORT" after_host="$PGHOST"
urls=()
for latency in 0 20; do
  FAKE_LIFETIME=7200 start_fake --dataset bench --contacts "${BENCH_CONTACTS:-100000}" \
    --conversations 10 --rate-limit 100000000 --latency-ms "$latency"
  python3 "$REPO_ROOT/test/fakectl.py" --url "$FAKE_URL" prewarm contacts --per-page 150 >/dev/null
  urls+=("$FAKE_URL")
done
python3 "$REPO_ROOT/bench/ab_builds.py" --runs "$runs" --url0 "${urls[0]}" --url20 "${urls[1]}" \
  --before "$before_host:$before_port" --after "$after_host:$after_port"
