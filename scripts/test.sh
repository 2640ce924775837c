#!/usr/bin/env bash
# Runs every test on every tested PostgreSQL (15, 17 and 18): installs what is
# missing, and per version builds, starts a throwaway cluster and the fake
# Intercom, runs the decoder's tests, the pg_regress suites and the script
# tests, and stops everything. The fake's own tests run once. Exits non-zero
# if any test on any version fails.
#   usage: scripts/test.sh [suite ...]     (default: every suite in REGRESS)
#   PG_MAJOR=17 scripts/test.sh            one version only
#   IC_CLOCK_SHIFT=+365d scripts/test.sh   PostgreSQL and the fake a year
#       ahead (libfaketime): the suites must not depend on today's date.
#       statement_timeout does not fire under libfaketime, so the tests that
#       need it (sql/timeouts.sql, test/scripts/) are left out, and said so.
requested_major="${PG_MAJOR:-}"   # before lib.sh gives PG_MAJOR its default
source "$(dirname "$0")/lib.sh"

if [ -z "${IC_TEST_ONE_VERSION:-}" ]; then
  versions="${requested_major:-$PG_SUPPORTED_MAJORS}"
  ensure_packages
  status=0
  summary=()
  if [ -z "${IC_SKIP_FAKE_TESTS:-}" ]; then
    log "the fake Intercom's own tests, packaging metadata"
    if python3 -m unittest discover -s "$REPO_ROOT/test" -p 'test_*.py' 2>&1 | grep -E '^(FAIL|ERROR):|^Ran |^OK|^FAILED'; then
      summary+=("fake Intercom and packaging: passed")
    else
      status=1; summary+=("fake Intercom and packaging: FAILED")
    fi
  fi
  if [ -z "${IC_SKIP_FAKE_TESTS:-}" ]; then
    log "the stream table against Intercom's OpenAPI description (scripts/check_openapi.py)"
    if python3 "$REPO_ROOT/scripts/check_openapi.py" | tail -n 1; then
      summary+=("stream table vs OpenAPI: passed")
    else
      status=1; summary+=("stream table vs OpenAPI: FAILED")
    fi
  fi
  for v in $versions; do
    start=$(date +%s)
    if IC_TEST_ONE_VERSION=1 PG_MAJOR="$v" bash "$0" "$@"; then
      summary+=("PostgreSQL $v: passed ($(( $(date +%s) - start )) s)")
    else
      status=1; summary+=("PostgreSQL $v: FAILED ($(( $(date +%s) - start )) s)")
    fi
  done
  for line in "${summary[@]}"; do log "$line"; done
  passed=$(printf '%s\n' "${summary[@]}" | grep -c ': passed' || true)
  failed=$(printf '%s\n' "${summary[@]}" | grep -c ': FAILED' || true)
  [ -n "${IC_CLOCK_SHIFT:-}" ] && log "(clock shifted by $IC_CLOCK_SHIFT)"
  echo "parts: $passed passed, $failed failed"
  exit $status
fi

# ---------- one version: PG_MAJOR ----------
use_pg "$PG_MAJOR"
ensure_pg_packages "$PG_MAJOR"
build_and_install
# pg_cron where Debian has it (15): sql/cron.sql
if [ "$PG_MAJOR" = 15 ]; then PRELOAD_LIBRARIES=pg_cron start_cluster; else start_cluster; fi
start_fake

status=0
if [ -n "${IC_CLOCK_SHIFT:-}" ]; then
  # the shift must really be in force, or the run proves nothing
  server_day="$(psql -X -At -d postgres -c "SELECT current_date")"
  fake_day="$(date -u -d "$(python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1] + "/_fake/stats").headers["Date"])' "$FAKE_URL")" +%F)"
  log "PostgreSQL's date: $server_day, the fake's: $fake_day, the real one: $(date -u +%F)"
  if [ "$server_day" = "$(date -u +%F)" ] || [ "$fake_day" = "$(date -u +%F)" ]; then
    log "the clock shift $IC_CLOCK_SHIFT is not in force"; exit 1
  fi
fi
log "PostgreSQL $PG_MAJOR: the page decoder against Python's json (test/decode)"
PG_CONFIG="$PG_BIN/pg_config" python3 -m unittest discover -s "$REPO_ROOT/test/decode" -p 'test_*.py' 2>&1 | grep -E '^(FAIL|ERROR):|^Ran |^OK|^FAILED' || status=1
log "PostgreSQL $PG_MAJOR: partition balancing on its own (test/balance)"
PG_CONFIG="$PG_BIN/pg_config" python3 -m unittest discover -s "$REPO_ROOT/test/balance" -p 'test_*.py' 2>&1 | grep -E '^(FAIL|ERROR):|^Ran |^OK|^FAILED' || status=1
log "PostgreSQL $PG_MAJOR: the concurrency controller on its own (test/concurrency)"
PG_CONFIG="$PG_BIN/pg_config" python3 -m unittest discover -s "$REPO_ROOT/test/concurrency" -p 'test_*.py' 2>&1 | grep -E '^(FAIL|ERROR):|^Ran |^OK|^FAILED' || status=1

suites="${*:-$(cd "$REPO_ROOT/sql" && ls *.sql | sed 's/\.sql$//' | tr '\n' ' ')}"
left_out=()
run_suites=()
for s in $suites; do
  if [ "$s" = cron ] && [ "$PG_MAJOR" != 15 ]; then
    left_out+=("cron (pg_cron is packaged on Debian 12 for PostgreSQL 15 only)")
  elif [ "$s" = timeouts ] && [ -n "${IC_CLOCK_SHIFT:-}" ]; then
    left_out+=("timeouts (statement_timeout does not fire under libfaketime)")
  else
    run_suites+=("$s")
  fi
done
for s in "${left_out[@]}"; do log "PostgreSQL $PG_MAJOR: left out: $s"; done

log "PostgreSQL $PG_MAJOR: pg_regress suites"
cd "$REPO_ROOT"
rm -f regression.diffs
if ! make -s installcheck PG_CONFIG="$PG_BIN/pg_config" REGRESS="${run_suites[*]}"; then
  status=1
  [ -f regression.diffs ] && head -n 300 regression.diffs
  # a backend that crashed: what it ran, from the server's log
  grep -B 30 -A 3 'terminated by signal' "$PG_LOG" | head -n 80 || true
fi

if [ -n "${IC_CLOCK_SHIFT:-}" ]; then
  log "PostgreSQL $PG_MAJOR: left out: script tests (they time statement_timeout and cancels)"
elif [ $# -eq 0 ]; then
  log "PostgreSQL $PG_MAJOR: script tests (cancel, timeouts, log secrecy, wait events)"
  bash "$REPO_ROOT/test/run_scripts.sh" || status=1
fi

if [ $status -eq 0 ]; then log "PostgreSQL $PG_MAJOR: all tests passed"; else log "PostgreSQL $PG_MAJOR: TESTS FAILED"; fi
exit $status
