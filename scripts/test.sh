#!/usr/bin/env bash
# Runs every test against a real PostGIS: installs what is missing, starts a throwaway cluster on a port of
# its own, runs the test projects, removes the cluster. Exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/postgis.sh
source "$ROOT/scripts/lib/postgis.sh"
# shellcheck source=lib/web.sh
source "$ROOT/scripts/lib/web.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

ensure_postgis_packages
# Real clients in the tests: GDAL's OGC API - Features and WFS drivers (ogr2ogr), and QGIS's WFS provider
# (python3-qgis, run headless) editing the measures register through WFS-T.
ensure_packages gdal-bin python3-qgis curl
# The build installs the map library with npm; the map page is tested in Debian's chromium.
ensure_node
ensure_chromium

state=$(mktemp -d /tmp/spatialregion-test.XXXXXX)
chmod 755 "$state"
service_pid=
cleanup() {
  if [ -n "$service_pid" ]; then kill "$service_pid" 2>/dev/null || true; fi
  pg_stop "$state"
  rm -rf "$state"
}
trap cleanup EXIT
pg_start "$state" "$(free_port "${SPATIALREGION_TEST_PG_PORT:-54339}")" throwaway

# The tests create a database of their own in this cluster and drop it at the end.
SPATIALREGION_TEST_DB=$(pg_connection_string "$state" postgres)
export SPATIALREGION_TEST_DB

cd "$ROOT"
# A failing test assembly has its whole console output printed after the failures (the service's own logs,
# thousands of lines), which pushes them out of sight; they are repeated last.
set +e
dotnet test --solution SpatialRegion.sln -c Release "$@" 2>&1 | tee "$state/dotnet-test.log"
tests_exit=${PIPESTATUS[0]}
set -e
if [ "$tests_exit" -ne 0 ]; then
  failures=$(awk '/^failed /{block=1; lines=0; print; next} block && /^  / {if (++lines <= 25) print; next} {block=0}' \
    "$state/dotnet-test.log")
  if [ -n "$failures" ]; then log "the failed tests again:"; printf '%s\n' "$failures"; fi
  exit "$tests_exit"
fi

# The map page in a real browser (tests/browser, Playwright): the service built above, on a free port, over a
# database of its own in the same cluster, set up as run.sh does it.
if [ -z "${SPATIALREGION_SKIP_BROWSER_TESTS:-}" ]; then
  pg_ensure_database "$state" spatialregion_browser
  browser_db=$(pg_connection_string "$state" spatialregion_browser)
  app="$ROOT/src/SpatialRegion.Api/bin/Release/net10.0/SpatialRegion.Api.dll"
  (cd "$(dirname "$app")" && ConnectionStrings__Postgis="$browser_db" dotnet "$app" setup >"$state/setup.log" 2>&1) \
    || { tail -n 30 "$state/setup.log" >&2; die "setup of the browser test database failed"; }
  port=$(free_port "${SPATIALREGION_TEST_HTTP_PORT:-5190}")
  service_pid=$(start_service "$app" "$browser_db" "$port" "$state/service.log")
  log "browser tests against http://127.0.0.1:$port"
  SPATIALREGION_URL="http://127.0.0.1:$port" npx --no-install playwright test --config tests/browser/playwright.config.mjs
fi
