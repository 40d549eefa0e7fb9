#!/usr/bin/env bash
# Measures register benchmark (sourced by scripts/bench.sh; run on its own it starts the service itself):
# - the measures layer as GeoJSON against layers of the same count (fa-regions, 60 polygons) and of about twice its
#   bytes (the 290 municipalities), repeated and with a
#   URL no request has used before (streamed from PostGIS each time);
# - measures-by-municipality: the layer, and the summary computed from the register in PostGIS (pgbench), which
#   is the work every edit redoes; target under 50 ms;
# - one edit with its history and layer refresh: REST PUT with If-Match (sequential, each with the ETag the last
#   answered), and a WFS-T Update as QGIS sends it (wrk, one connection); target under 50 ms at the median.
# shellcheck source=../lib/bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/bench.sh"
bench_attach_or_start

key=$(cd "$BENCH_ROOT/src/SpatialRegion.Api" && dotnet bin/Release/net10.0/SpatialRegion.Api.dll create-api-key "bench-$(date +%s)" --role editor \
  | grep -oE 'sr_[A-Za-z0-9_-]{20,}' | head -n 1)
[ -n "$key" ] || die "could not create an API key for the edit benchmarks"

bench_http "measures GeoJSON (62), repeated URL" "$BENCH_URL/api/layers/measures/features"
# Through the WFS in GeoJSON, which ignores an unknown parameter: every URL is new, nothing comes from the cache.
wfs_json="$BENCH_URL/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&OUTPUTFORMAT=application/json&TYPENAMES=sr:"
bench_http "fa-regions GeoJSON (60), repeated URL" "$BENCH_URL/api/layers/fa-regions/features"
bench_http_fresh "measures GeoJSON (62), streamed" "${wfs_json}measures"
bench_http_fresh "fa-regions GeoJSON (60), streamed" "${wfs_json}fa-regions"
# The measures layer is as large in bytes as half the municipalities (most measures declare whole municipalities).
bench_http_fresh "municipalities GeoJSON (290), streamed" "${wfs_json}municipalities"
bench_http_fresh "measures-by-municipality GeoJSON, streamed" "${wfs_json}measures-by-municipality"
summary=$(sed -n '/public const string SummarySql = """/,/""";/p' "$BENCH_ROOT/src/SpatialRegion.Api/Measures/MeasureLayers.cs" \
  | sed '1d;$d' | sed "s/\$1/'23'/g")
bench_sql "summary per municipality, computed (SQL)" "$summary;"

# A measure of the benchmark's own, edited over and over.
curl -sf -o /dev/null -X POST "$BENCH_URL/api/measures" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"id": "bench-edit", "title": "Benchmark edit", "status": "planned", "links": [{"area_code": "2380"}]}' || true
times=()
for i in $(seq 1 40); do
  etag=$(curl -sf -D - -o /dev/null "$BENCH_URL/api/measures/bench-edit" | awk 'tolower($1) == "etag:" { print $2 }' | tr -d '\r')
  t=$(curl -s -o /dev/null -w '%{time_total}' -X PUT "$BENCH_URL/api/measures/bench-edit" -H "Authorization: Bearer $key" \
    -H "If-Match: $etag" -H 'Content-Type: application/json' \
    -d "{\"title\": \"Benchmark edit $i\", \"status\": \"planned\", \"links\": [{\"area_code\": \"2380\"}]}")
  times+=("$t")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] * 1000 }')
printf '%-44s %10s ms median of %s sequential edits\n' "REST PUT of one measure (If-Match)" "$median" "${#times[@]}" | tee -a "$BENCH_RESULTS"

lua=$(mktemp --suffix=.lua)
cat >"$lua" <<LUA
local n = 0
request = function()
  n = n + 1
  local body = '<Transaction xmlns="http://www.opengis.net/wfs" version="1.0.0" service="WFS" xmlns:sr="urn:spatialregion:features" '
    .. 'xmlns:ogc="http://www.opengis.net/ogc"><Update typeName="sr:measures"><Property><Name>sr:title</Name><Value>WFS edit ' .. n
    .. '</Value></Property><ogc:Filter><ogc:FeatureId fid="measures.bench-edit"/></ogc:Filter></Update></Transaction>'
  return wrk.format("POST", nil, { ["Content-Type"] = "text/xml", ["Authorization"] = "Bearer $key" }, body)
end
LUA
out=$(wrk -t1 -c1 -d"$BENCH_DURATION" --latency -s "$lua" "$BENCH_URL/wfs" 2>&1)
rm -f "$lua"
printf '%-44s %10s req/s   p50 %-9s p99 %-9s %s\n' "WFS-T Update of one measure (1 connection)" \
  "$(awk '/Requests\/sec/ { print $2 }' <<<"$out")" "$(awk '$1 == "50%" { print $2 }' <<<"$out")" "$(awk '$1 == "99%" { print $2 }' <<<"$out")" \
  "$(awk '/Non-2xx|Socket errors/ { print }' <<<"$out" | tr '\n' ' ')" | tee -a "$BENCH_RESULTS"
