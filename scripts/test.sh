#!/usr/bin/env bash
# Runs every test against a real PostGIS: installs what is missing, starts a throwaway cluster on a port of
# its own, runs the test projects, removes the cluster. Exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/postgis.sh
source "$ROOT/scripts/lib/postgis.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

ensure_postgis_packages
# Real clients in the tests: GDAL's OGC API - Features and WFS drivers (ogr2ogr), and QGIS's WFS provider
# (python3-qgis, run headless) editing the measures register through WFS-T.
ensure_packages gdal-bin python3-qgis

state=$(mktemp -d /tmp/spatialregion-test.XXXXXX)
chmod 755 "$state"
cleanup() { pg_stop "$state"; rm -rf "$state"; }
trap cleanup EXIT
pg_start "$state" "$(free_port "${SPATIALREGION_TEST_PG_PORT:-54339}")" throwaway

# The tests create a database of their own in this cluster and drop it at the end.
SPATIALREGION_TEST_DB=$(pg_connection_string "$state" postgres)
export SPATIALREGION_TEST_DB

cd "$ROOT"
dotnet test --solution SpatialRegion.sln -c Release "$@"
