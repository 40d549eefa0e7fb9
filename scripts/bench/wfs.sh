#!/usr/bin/env bash
# WFS 2.0 benchmark: GetFeature of all 290 municipalities in GML 3.2 (the default output) and in GeoJSON, wrk on
# loopback (BENCH_DURATION, default 10 s, BENCH_CONNECTIONS, default 8) against the Release service on its own
# port. Sourced by scripts/bench.sh; run on its own it starts the service itself. Targets on a 2-core machine:
# 40 req/s or more in GML (MapServer 8 serves 19), 100 req/s or more in GeoJSON.
#
# Each format is measured twice: repeating one URL, as many clients loading the same layer do (the rendered
# response is then served from the cache kept per layer version and URL), and with a URL no request has used
# before (a parameter the WFS ignores), so that every response is streamed from PostGIS again.
# shellcheck source=../lib/bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/bench.sh"
bench_attach_or_start

wfs_all="$BENCH_URL/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=sr:municipalities"

# wfs_bench_fresh NAME URL: like bench_http, but every request carries a new value of an ignored parameter.
wfs_bench_fresh() {
  local name=$1 url=$2
  local script out rps p50 p99 errors size
  size=$(curl -s -o /dev/null -w '%{size_download}' "$url&fresh=0")
  script=$(mktemp --suffix=.lua)
  cat >"$script" <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, wrk.path .. "&fresh=" .. math.random(1, 1000000000) .. "-" .. n)
end
LUA
  out=$(wrk -t2 -c"$BENCH_CONNECTIONS" -d"$BENCH_DURATION" --latency -s "$script" "$url" 2>&1)
  rm -f "$script"
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ { print }' <<<"$out" | tr '\n' ' ')
  printf '%-44s %10s req/s   p50 %-9s p99 %-9s %9s bytes %s\n' "$name" "$rps" "$p50" "$p99" "$size" "$errors" | tee -a "$BENCH_RESULTS"
}

for format in "GML 3.2|" "GeoJSON|&OUTPUTFORMAT=application/json"; do
  label=${format%%|*}
  url="$wfs_all${format#*|}"
  case "$(curl -sf "$url")" in
    *'numberReturned="290"'* | *'"numberReturned":290'*) ;;
    *) die "WFS $label: the response does not hold the 290 municipalities" ;;
  esac
  bench_http "WFS all 290, $label, repeated URL" "$url"
  wfs_bench_fresh "WFS all 290, $label, streamed from PostGIS" "$url"
done

# The query GetFeature runs for the GML page (the default srsName reads the stored rendering, schema 0040),
# straight against PostGIS: what the service adds is the rest.
props=$(printf "properties ->> '%s', " KOMMUNNAMN KKOD KATEGORI LANSNAMN KOMMUNKOD LANSKOD KOM_KOD LAN_KOD ADAT)
bench_sql "WFS SQL: all 290 as GML 3.2" "SELECT fid, $props gml_3006 FROM layer_features WHERE layer_id = 'municipalities' ORDER BY fid LIMIT 10000 OFFSET 0;"

# What QGIS asks for each time a project with WFS layers opens; built once per state of the registry.
bench_http "WFS GetCapabilities" "$BENCH_URL/wfs?SERVICE=WFS&REQUEST=GetCapabilities"
bench_http "WFS DescribeFeatureType, every type" "$BENCH_URL/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType"
