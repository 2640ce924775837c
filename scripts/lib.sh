# Shared by scripts/test.sh, scripts/demo.sh and the benchmarks: install what
# is missing, build, and run a throwaway PostgreSQL 15 cluster and the fake
# Intercom server that stop when the calling script exits.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# PG_BIN may point at another (relocated) PostgreSQL 15 tree, e.g. one per work tree.
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PACKAGES="postgresql-15 postgresql-server-dev-15 libcurl4-openssl-dev libjansson-dev libdeflate-dev make gcc pkg-config python3 tzdata"

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

# build_and_install: PGXS build with warnings shown, then install.
build_and_install() {
  log "building intercom_fdw"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
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

# start_cluster: a throwaway cluster in a temp dir; sets PGHOST, PGPORT,
# PGUSER, PGDATA, PG_LOG and registers its stop in cleanup.
start_cluster() {
  WORK_DIR="$(mktemp -d /tmp/intercom_fdw.XXXXXX)"
  chmod 755 "$WORK_DIR"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$WORK_DIR"
  export PGDATA="$WORK_DIR/data" PGHOST="$WORK_DIR" PGPORT="$(free_port)" PGUSER=postgres
  export PG_LOG="$WORK_DIR/postgres.log"
  log "starting PostgreSQL 15 on port $PGPORT ($WORK_DIR)"
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
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 start >/dev/null
  CLEANUP+=("as_postgres $PG_BIN/pg_ctl -D $PGDATA -m immediate stop >/dev/null 2>&1 || true")
}

# start_fake [ARGS...]: the fake Intercom on a free port; sets FAKE_URL.
start_fake() {
  local port; port="$(free_port)"
  export FAKE_URL="http://127.0.0.1:$port"
  log "starting the fake Intercom at $FAKE_URL"
  python3 "$REPO_ROOT/test/fake_intercom.py" --port "$port" --lifetime "${FAKE_LIFETIME:-3000}" --quiet "$@" \
    >"${WORK_DIR:-/tmp}/fake.log" 2>&1 &
  local pid=$!
  CLEANUP+=("kill $pid 2>/dev/null || true")
  python3 "$REPO_ROOT/test/fakectl.py" wait-ready --timeout 30
}

CLEANUP=()
run_cleanup() {
  local i
  for ((i=${#CLEANUP[@]}-1; i>=0; i--)); do eval "${CLEANUP[$i]}"; done
}
trap run_cleanup EXIT
