#!/usr/bin/env bash
# Issue 22's first-load target: the backend CPU of a first (full) run of
# intercom_fdw.materialize_run against COPY (SELECT * FROM contacts) TO
# '/dev/null', both at 0 ms over BENCH_CONTACTS (default 100,000) contacts,
# alternated BENCH_RUNS times (default 5). CPU is read from /proc for the
# backend itself, so other load on the machine matters less than wall time.
# A third column loads an empty copy created beforehand with its primary key
# (a full refresh of an emptied copy): the path a first load took before it
# created its copy without the key and keyed it after.
#   bash bench/first_load.sh   -> bench/results/first_load.md
source "$(dirname "$0")/../scripts/lib.sh"
contacts="${BENCH_CONTACTS:-100000}"
runs="${BENCH_RUNS:-5}"
out="$REPO_ROOT/bench/results/first_load.md"
ensure_packages
use_pg "${PG_MAJOR:-15}"
build_and_install
start_cluster
start_fake --dataset bench --contacts "$contacts"
psql -X -q -d postgres <<SQL
CREATE EXTENSION intercom_fdw;
CREATE SERVER f FOREIGN DATA WRAPPER intercom_fdw OPTIONS (api_url '$FAKE_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER f OPTIONS (token 'tok_test_1');
CREATE SCHEMA ic; IMPORT FOREIGN SCHEMA intercom LIMIT TO (contacts) FROM SERVER f INTO ic;
SET intercom_fdw.progress = off;
COPY (SELECT * FROM ic.contacts) TO '/dev/null';  -- the fake renders its pages once
SQL
# cpu_ms SQL: the backend's user+system CPU for SQL, in ms
cpu_ms() {
  local a b
  psql -X -At -d postgres >/dev/null <<SQL
SET intercom_fdw.progress = off;
SET client_min_messages = warning;
SELECT pg_backend_pid() AS pid \gset
\setenv BPID :pid
\! awk '{print \$14+\$15}' /proc/\$BPID/stat > $WORK_DIR/cpu_a
$1;
\! awk '{print \$14+\$15}' /proc/\$BPID/stat > $WORK_DIR/cpu_b
SQL
  a=$(cat "$WORK_DIR/cpu_a"); b=$(cat "$WORK_DIR/cpu_b")
  echo $(( (b - a) * 1000 / $(getconf CLK_TCK) ))
}
{
  echo "# First materialize_run vs a full scan ($contacts contacts, 0 ms)"
  echo
  echo "bash bench/first_load.sh, $(date -u '+%Y-%m-%d %H:%M') UTC, PostgreSQL $PG_MAJOR, $(nproc) cores; backend CPU."
  echo
  echo "| run | COPY scan (ms) | first materialize_run (ms) | ratio | into an empty keyed copy (ms) | ratio |"
  echo "|---|---|---|---|---|---|"
  for i in $(seq "$runs"); do
    scan=$(cpu_ms "COPY (SELECT * FROM ic.contacts) TO '/dev/null'")
    load=$(cpu_ms "CALL intercom_fdw.materialize_run('ic.contacts', 'public.copy_$i')")
    psql -X -q -d postgres -c "CREATE TABLE public.keyed_$i (LIKE ic.contacts, PRIMARY KEY (id))"
    keyed=$(cpu_ms "CALL intercom_fdw.materialize_run('ic.contacts', 'public.keyed_$i')")
    echo "| $i | $scan | $load | $(awk -v a="$load" -v b="$scan" 'BEGIN { printf "%.2f", a / b }') |" \
         "$keyed | $(awk -v a="$keyed" -v b="$scan" 'BEGIN { printf "%.2f", a / b }') |"
  done
} | tee "$out"
