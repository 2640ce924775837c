#!/usr/bin/env bash
# CPU of `COPY (SELECT every column FROM contacts) TO '/dev/null'` on the fake
# at latency 0 with 100,000 contacts (the 0 ms full-scan bench), with and
# without the _extra column: _extra must cost nothing when not selected.
#   usage: bash bench/extra_cpu.sh [runs]     (BENCH_CONTACTS overrides 100000)
source "$(dirname "$0")/../scripts/lib.sh"
build_and_install
start_cluster
FAKE_LIFETIME=7200 start_fake --dataset bench --contacts "${BENCH_CONTACTS:-100000}" \
  --conversations 10 --rate-limit 100000000
python3 "$REPO_ROOT/test/fakectl.py" --url "$FAKE_URL" prewarm contacts --per-page 150 >/dev/null
python3 "$REPO_ROOT/bench/extra_cpu.py" --url "$FAKE_URL" --runs "${1:-5}"
