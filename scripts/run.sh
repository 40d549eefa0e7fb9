#!/usr/bin/env bash
# Runs SpatialRegion in the foreground. Without ConnectionStrings__Postgis it starts the project's own PostGIS
# (installing it on first use), migrates, imports the default layers that are missing, and serves on
# ASPNETCORE_URLS (default http://127.0.0.1:5000).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/postgis.sh
source "$ROOT/scripts/lib/postgis.sh"
# shellcheck source=lib/web.sh
source "$ROOT/scripts/lib/web.sh"

if [ -z "${ConnectionStrings__Postgis:-}" ]; then
  "$ROOT/scripts/db.sh" start
  ConnectionStrings__Postgis=$("$ROOT/scripts/db.sh" url)
  export ConnectionStrings__Postgis
else
  log "using the PostGIS of ConnectionStrings__Postgis"
fi
export ASPNETCORE_URLS=${ASPNETCORE_URLS:-http://127.0.0.1:5000}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The build copies the map library from npm (package-lock.json) into the service's static files.
ensure_node
log "building"
dotnet build "$ROOT/src/SpatialRegion.Api" -c Release -nologo -v quiet -clp:ErrorsOnly
cd "$ROOT/src/SpatialRegion.Api"
app=bin/Release/net10.0/SpatialRegion.Api.dll
dotnet "$app" setup
log "serving on $ASPNETCORE_URLS"
exec dotnet "$app" "$@"
