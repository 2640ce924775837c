#!/usr/bin/env bash
# Runs every test/scripts/*.sh (except helpers named _*.sh) with the
# environment of scripts/test.sh (PGHOST, PGPORT, PGUSER, PG_LOG, FAKE_URL),
# prints PASS, FAIL (with the output of a failing one) or SKIP (exit status
# 77: the script cannot run on this PostgreSQL, and its last line says why)
# per script, and a last line "N passed, M failed, K skipped"; exits non-zero
# if any failed.
set -u
dir="$(cd "$(dirname "$0")" && pwd)/scripts"
passed=0
failed=0
skipped=0
for script in "$dir"/*.sh; do
  name="$(basename "$script")"
  case "$name" in _*) continue ;; esac
  out="$(mktemp)"
  # a hung script is killed (TERM runs its cleanup) after 3 minutes
  rc=0
  timeout --kill-after=10 180 bash "$script" >"$out" 2>&1 || rc=$?
  if [ $rc -eq 0 ]; then
    echo "PASS $name"
    passed=$((passed + 1))
  elif [ $rc -eq 77 ]; then
    echo "SKIP $name: $(tail -n 1 "$out")"
    skipped=$((skipped + 1))
  else
    echo "FAIL $name"
    sed 's/^/    /' "$out"
    failed=$((failed + 1))
  fi
  rm -f "$out"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
