#!/usr/bin/env bash
# Runs every test/scripts/*.sh (except helpers named _*.sh) with the
# environment of scripts/test.sh (PGHOST, PGPORT, PGUSER, PG_LOG, FAKE_URL),
# prints PASS or FAIL per script (with the output of a failing one), and a
# last line "N passed, M failed"; exits non-zero if any failed.
set -u
dir="$(cd "$(dirname "$0")" && pwd)/scripts"
passed=0
failed=0
for script in "$dir"/*.sh; do
  name="$(basename "$script")"
  case "$name" in _*) continue ;; esac
  out="$(mktemp)"
  # a hung script is killed (TERM runs its cleanup) after 3 minutes
  if timeout --kill-after=10 180 bash "$script" >"$out" 2>&1; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed 's/^/    /' "$out"
    failed=$((failed + 1))
  fi
  rm -f "$out"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
