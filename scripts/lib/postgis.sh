# Shared by run.sh, test.sh, bench.sh and db.sh: installs PostgreSQL 15 + PostGIS 3 + pgRouting from Debian
# packages when missing, and runs a cluster of the project's own on 127.0.0.1 (never the system's cluster).
# Source it; do not run it.

PG_BIN=/usr/lib/postgresql/15/bin
SPATIALREGION_PACKAGES=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting postgresql-contrib)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi
}

# ensure_packages pkg...: installs those not installed yet; apt-get update runs once, only when needed.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if [ -z "${SPATIALREGION_APT_UPDATED:-}" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
    export SPATIALREGION_APT_UPDATED=1
  fi
  # Debian's postgresql package may create a cluster of its own on 5432; this project never uses it.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_postgis_packages() { ensure_packages "${SPATIALREGION_PACKAGES[@]}"; }

# PostgreSQL refuses to run as root; as root, the server runs as the postgres user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_user_can_reach() {
  local dir=$1
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- test -x "$dir" -a -w "$dir" 2>/dev/null; else test -w "$dir"; fi
}

# local_state_dir ROOT: the project's git-ignored .local/postgis, or, when the postgres user cannot reach the
# checkout (a checkout under /root), a folder under /var/lib linked from there.
local_state_dir() {
  local root=$1 link="$1/.local/postgis"
  mkdir -p "$root/.local"
  if [ -L "$link" ]; then readlink -f "$link"; return; fi
  mkdir -p "$link"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$link"; fi
  if pg_user_can_reach "$link"; then echo "$link"; return; fi
  rmdir "$link"
  local outside="/var/lib/spatialregion/postgis-$(printf '%s' "$root" | sha256sum | cut -c1-12)"
  mkdir -p "$outside"
  chown postgres:postgres "$outside"
  ln -s "$outside" "$link"
  echo "$outside"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port=$1
  while port_in_use "$port"; do port=$((port + 1)); done
  echo "$port"
}

# pg_start STATE_DIR PORT [throwaway]: initialises the cluster on first use, starts it unless it already runs.
pg_start() {
  local state=$1 port=$2 mode=${3:-}
  local data="$state/pgdata" run="$state/run"
  [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL 15 is not installed ($PG_BIN/pg_ctl missing)"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$state"; fi

  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising a PostgreSQL cluster in $data"
    [ -f "$state/password" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$state/password")
    local pwfile
    pwfile=$(mktemp)
    cp "$state/password" "$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pwfile"; fi
    as_pg "$PG_BIN/initdb" -D "$data" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$state/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; cat "$state/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $port"
      echo "unix_socket_directories = '$run'"
      echo "max_connections = 200"
      echo "shared_buffers = 256MB"
      echo "work_mem = 32MB"
      # JIT costs more than it saves on the short queries a feature server runs.
      echo "jit = off"
      if [ "$mode" = throwaway ]; then
        # Nothing in a throwaway cluster must survive a crash.
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
      fi
    } | as_pg tee -a "$data/postgresql.auto.conf" >/dev/null
  fi

  mkdir -p "$run"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$run"; fi
  if as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    return 0
  fi
  port_in_use "$port" && die "port $port is taken by another program; set SPATIALREGION_PG_PORT"
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$state/postgres.log" -o "-p $port" -w -t 60 start >/dev/null \
    || { tail -n 30 "$state/postgres.log" >&2; die "PostgreSQL did not start"; }
  log "PostgreSQL listening on 127.0.0.1:$port"
}

pg_stop() {
  local state=$1
  [ -f "$state/pgdata/PG_VERSION" ] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$state/pgdata" -m fast -w stop >/dev/null 2>&1 || true
}

# ALTER SYSTEM rewrites the file with the value quoted.
pg_port() { sed -n "s/^port = '\\{0,1\\}\\([0-9]*\\)'\\{0,1\\}\$/\\1/p" "$1/pgdata/postgresql.auto.conf" | tail -n 1; }

# pg_connection_string STATE_DIR DATABASE
pg_connection_string() {
  printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=postgres;Password=%s' "$(pg_port "$1")" "$2" "$(cat "$1/password")"
}

pg_psql() {
  local state=$1; shift
  PGPASSWORD=$(cat "$state/password") psql -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(pg_port "$state")" -U postgres "$@"
}

# pg_ensure_database STATE_DIR NAME
pg_ensure_database() {
  local state=$1 name=$2
  if [ "$(pg_psql "$state" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
    pg_psql "$state" -d postgres -qc "CREATE DATABASE \"$name\""
  fi
}
