# Shared by scripts/test.sh, scripts/demo.sh and the benchmarks: install what
# is missing, build, and run a throwaway PostgreSQL cluster (15 unless
# use_pg says otherwise: scripts/pg_versions.sh) and the fake Intercom server
# that stop when the calling script exits.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# PG_BIN may point at another (relocated) PostgreSQL 15 tree, e.g. one per work tree.
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_MAJOR="${PG_MAJOR:-15}"
# PostgreSQL 15 itself is also the psql that every version's tests use.
PACKAGES="postgresql-15 postgresql-server-dev-15 libcurl4-openssl-dev libjansson-dev libdeflate-dev make gcc pkg-config python3 tzdata faketime"

log() { printf '== %s\n' "$*" >&2; }

# ensure_packages: apt-get install whatever of $PACKAGES is missing.
ensure_packages() {
  local missing=()
  for p in $PACKAGES "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# build_and_install: PGXS build with warnings shown, then install. Objects
# built for another major version are cleaned first.
build_and_install() {
  log "building intercom_fdw for PostgreSQL $PG_MAJOR"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local stamp="$REPO_ROOT/.built-for-pg"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$PG_BIN" ]; then
    make -C "$REPO_ROOT" -s clean PG_CONFIG="$PG_BIN/pg_config" >/dev/null
    echo "$PG_BIN" > "$stamp"
  fi
  make -C "$REPO_ROOT" -s PG_CONFIG="$PG_BIN/pg_config"
  $sudo make -C "$REPO_ROOT" -s install PG_CONFIG="$PG_BIN/pg_config" >/dev/null
}

# free_port: a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# as_postgres CMD...: initdb and postgres refuse to run as root.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# clock_shift: the command prefix that runs a server with its clock moved by
# IC_CLOCK_SHIFT (e.g. +365d), to prove that no test depends on today's date;
# nothing when unset. Only the servers: apt, npm and curl need the real clock.
# (libfaketime preloaded directly: the faketime command waits for every
# process that shares its clock, so it would never return from pg_ctl start)
clock_shift() {
  [ -z "${IC_CLOCK_SHIFT:-}" ] ||
    echo "env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 FAKETIME=$IC_CLOCK_SHIFT"
}

# clock_shared: libfaketime shares its clock through a semaphore and shared
# memory named after the first preloaded process (FAKETIME_SHARED), which
# removes them when it exits.  That was pg_ctl: a program the server started
# later (COPY FROM PROGRAM fakectl) then could not attach, and exited 1
# ("sem_open failed"). So a process that exec's away (its exit never
# removes them) creates them once for the whole run, as postgres (whose
# files root can open too), and the cleanup removes them.
clock_shared() {
  [ -n "${IC_CLOCK_SHIFT:-}" ] && [ -z "${FAKETIME_SHARED:-}" ] || return 0
  FAKETIME_SHARED="$(as_postgres $(clock_shift) sh -c 'echo "$FAKETIME_SHARED"; exec true')"
  export FAKETIME_SHARED
  local id="${FAKETIME_SHARED##*_}"
  CLEANUP+=("rm -f /dev/shm/faketime_shm_$id /dev/shm/sem.faketime_sem_$id")
}

# start_cluster: a throwaway cluster in a temp dir; sets PGHOST, PGPORT,
# PGUSER, PGDATA, PG_LOG and registers its stop in cleanup.
start_cluster() {
  WORK_DIR="$(mktemp -d /tmp/intercom_fdw.XXXXXX)"
  chmod 755 "$WORK_DIR"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$WORK_DIR"
  export PGDATA="$WORK_DIR/data" PGHOST="$WORK_DIR" PGPORT="$(free_port)" PGUSER=postgres
  export PG_LOG="$WORK_DIR/postgres.log"
  log "starting PostgreSQL $PG_MAJOR on port $PGPORT ($WORK_DIR)${IC_CLOCK_SHIFT:+, clock $IC_CLOCK_SHIFT}"
  clock_shared
  as_postgres "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust --no-sync >/dev/null
  cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$WORK_DIR'
port = $PGPORT
log_min_messages = debug1
log_statement = 'all'
log_error_verbosity = verbose
shared_preload_libraries = '${PRELOAD_LIBRARIES:-}'
cron.database_name = 'contrib_regression'
max_worker_processes = 16
CONF
  as_postgres $(clock_shift) "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 start >/dev/null
  CLEANUP+=("as_postgres $PG_BIN/pg_ctl -D $PGDATA -m immediate stop >/dev/null 2>&1 || true")
}

# start_fake [ARGS...]: the fake Intercom on a free port; sets FAKE_URL.
start_fake() {
  local port; port="$(free_port)"
  clock_shared
  export FAKE_URL="http://127.0.0.1:$port"
  log "starting the fake Intercom at $FAKE_URL"
  $(clock_shift) python3 "$REPO_ROOT/test/fake_intercom.py" --port "$port" --lifetime "${FAKE_LIFETIME:-3000}" --quiet "$@" \
    >"${WORK_DIR:-/tmp}/fake.log" 2>&1 &
  FAKE_PID=$!
  CLEANUP+=("kill $FAKE_PID 2>/dev/null || true")
  python3 "$REPO_ROOT/test/fakectl.py" wait-ready --timeout 30
}

# warm_fake (benchmarks): fill the fake's render cache, and build its sorted
# created_at order for searches, so that a measured scan meets a warm fake
warm_fake() {
  python3 "$REPO_ROOT/test/fakectl.py" --url "$FAKE_URL" prewarm --per-page 150 >/dev/null
  for s in contacts conversations; do
    curl -s -o /dev/null -H 'Authorization: Bearer tok_test_1' -H 'Content-Type: application/json' \
      -d '{"query":{"field":"created_at","operator":">","value":0},"pagination":{"per_page":1}}' "$FAKE_URL/$s/search"
  done
}

# stop_command: what stops this cluster and fake by hand (by data directory
# and process id, so that nothing else is touched)
stop_command() {
  local as=""; [ "$(id -u)" -ne 0 ] || as="runuser -u postgres -- "
  printf '%s%s -D %s stop%s' "$as" "$PG_BIN/pg_ctl" "$PGDATA" "${FAKE_PID:+; kill $FAKE_PID}"
}

source "$REPO_ROOT/scripts/pg_versions.sh"

CLEANUP=()
run_cleanup() {
  local i
  for ((i=${#CLEANUP[@]}-1; i>=0; i--)); do eval "${CLEANUP[$i]}"; done
}
trap run_cleanup EXIT
