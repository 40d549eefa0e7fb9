#!/usr/bin/env bash
# WFS GetFeature throughput: all 290 municipalities as GML 3.2 (the default output) and as GeoJSON, with wrk on
# loopback (10 s, 8 connections). Starts a throwaway PostGIS and a Release build of the service on ports of its
# own, loads the default layers, and measures each request twice: as served (rendered responses are cached per
# layer version and URL) and with that cache switched off, so every request streams from PostGIS.
# Usage: scripts/bench/wfs.sh [duration, default 10s]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/postgis.sh
source "$ROOT/scripts/lib/postgis.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
DURATION=${1:-10s}

ensure_postgis_packages
ensure_packages wrk

state=$(mktemp -d /tmp/spatialregion-bench-wfs.XXXXXX)
chmod 755 "$state"
service_pid=
cleanup() {
  if [ -n "$service_pid" ]; then kill "$service_pid" 2>/dev/null || true; wait "$service_pid" 2>/dev/null || true; fi
  pg_stop "$state"
  rm -rf "$state"
}
trap cleanup EXIT

pg_start "$state" "$(free_port 54439)" throwaway
pg_ensure_database "$state" spatialregion_bench
export ConnectionStrings__Postgis
ConnectionStrings__Postgis=$(pg_connection_string "$state" spatialregion_bench)

log "building (Release)"
dotnet build "$ROOT/src/SpatialRegion.Api" -c Release -nologo -v quiet -clp:ErrorsOnly
app="$ROOT/src/SpatialRegion.Api/bin/Release/net10.0/SpatialRegion.Api.dll"
(cd "$ROOT/src/SpatialRegion.Api" && dotnet "$app" setup >/dev/null)

port=$(free_port 5480)
base="http://127.0.0.1:$port"
gml="$base/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=sr:municipalities"
json="$gml&OUTPUTFORMAT=application/json"

# start_service CACHE_MB: the service in the background, logging to the state folder, ready when this returns.
start_service() {
  (cd "$ROOT/src/SpatialRegion.Api" && ASPNETCORE_URLS=$base Logging__LogLevel__Default=Warning \
    SpatialRegion__ResponseCacheMegabytes=$1 exec dotnet "$app" >"$state/service.log" 2>&1) &
  service_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "$base/health/ready" >/dev/null && return 0
    sleep 0.2
  done
  cat "$state/service.log" >&2
  die "the service did not become ready"
}

stop_service() { kill "$service_pid"; wait "$service_pid" 2>/dev/null || true; service_pid=; }

# measure NAME URL: checks the answer once, warms up, then prints requests/s and latency from wrk.
measure() {
  local name=$1 url=$2
  local body
  body=$(curl -sf "$url")
  case "$body" in
    *'numberReturned="290"'*|*'"numberReturned":290'*) ;;
    *) die "$name: the response does not hold the 290 municipalities" ;;
  esac
  wrk -t2 -c8 -d2s "$url" >/dev/null
  local out
  out=$(wrk -t2 -c8 -d"$DURATION" --latency "$url")
  printf '%-34s %10s req/s   p50 %-9s p99 %-9s %s/response\n' "$name" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
    "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
    "$(numfmt --to=iec ${#body})"
}

echo "WFS GetFeature, all 290 municipalities, wrk -t2 -c8 -d$DURATION on $(nproc) cores"
start_service 256
measure "GML 3.2 (cached per layer version)" "$gml"
measure "GeoJSON (cached per layer version)" "$json"
stop_service

start_service 0
measure "GML 3.2 (streamed from PostGIS)" "$gml"
measure "GeoJSON (streamed from PostGIS)" "$json"
stop_service
