#!/usr/bin/env bash
# The project-local PostGIS used by scripts/run.sh: start | stop | status | psql | url
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/postgis.sh
source "$ROOT/scripts/lib/postgis.sh"

DATABASE=${SPATIALREGION_DATABASE:-spatialregion}
PORT=${SPATIALREGION_PG_PORT:-54329}

case "${1:-start}" in
  start)
    ensure_postgis_packages
    state=$(local_state_dir "$ROOT")
    pg_start "$state" "$PORT"
    pg_ensure_database "$state" "$DATABASE"
    ;;
  stop) pg_stop "$(local_state_dir "$ROOT")" ;;
  status) as_pg "$PG_BIN/pg_ctl" -D "$(local_state_dir "$ROOT")/pgdata" status ;;
  psql) shift; pg_psql "$(local_state_dir "$ROOT")" -d "$DATABASE" "$@" ;;
  url) pg_connection_string "$(local_state_dir "$ROOT")" "$DATABASE"; echo ;;
  *) echo "usage: scripts/db.sh start|stop|status|psql|url" >&2; exit 2 ;;
esac
