#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, starts a throwaway
# PostgreSQL 15 cluster and the fake Intercom, runs the fake's own tests and
# the pg_regress suites, stops everything, and exits non-zero on any failure.
#   usage: scripts/test.sh [suite ...]     (default: every suite in REGRESS)
source "$(dirname "$0")/lib.sh"

ensure_packages postgresql-15-cron
build_and_install
PRELOAD_LIBRARIES=pg_cron start_cluster
start_fake

status=0
log "fake Intercom's own tests"
python3 -m unittest discover -s "$REPO_ROOT/test" -p 'test_fake*.py' 2>&1 | tail -n 5 || status=1

log "the page decoder against Python's json (test/decode)"
PG_CONFIG="$PG_BIN/pg_config" python3 -m unittest discover -s "$REPO_ROOT/test/decode" -p 'test_*.py' 2>&1 | tail -n 5 || status=1

log "pg_regress suites"
suites="${*:-}"
cd "$REPO_ROOT"
if ! make -s installcheck PG_CONFIG="$PG_BIN/pg_config" ${suites:+REGRESS="$suites"}; then
  status=1
  [ -f regression.diffs ] && head -n 300 regression.diffs
fi

if [ -x "$REPO_ROOT/test/run_scripts.sh" ]; then
  log "script tests (cancel, timeouts, log secrecy)"
  bash "$REPO_ROOT/test/run_scripts.sh" || status=1
fi

if [ $status -eq 0 ]; then log "all tests passed"; else log "TESTS FAILED"; fi
exit $status
