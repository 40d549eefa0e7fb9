#!/usr/bin/env bash
# Indicators benchmark: wrk on loopback (BENCH_DURATION, default 10 s, BENCH_CONNECTIONS, default 8) against the
# Release service on its own port. Measures the choropleth and a 10-year series for all 290 municipalities; the
# shipped data covers only county 23, so the script uploads a clearly labelled synthetic indicator
# (bench-synthetic: 290 municipalities x 2015-2024, made-up numbers) through the API first, with an editor key
# it creates, and deletes both afterwards. Sourced by scripts/bench.sh; run on its own it starts the service
# itself and then measures once more with the response cache switched off (every request rendered from PostGIS).
# shellcheck source=../lib/bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/bench.sh"
bench_attach_or_start
standalone=$BENCH_STANDALONE
root=${BENCH_ROOT:?}
api=$root/src/SpatialRegion.Api

key_name="bench-indicators-$$"
key=$(cd "$api" && dotnet bin/Release/net10.0/SpatialRegion.Api.dll create-api-key "$key_name" --role editor | tail -n 1)
auth=(-H "Authorization: Bearer $key")

curl -sf -o /dev/null "${auth[@]}" -X PUT -H 'Content-Type: application/json' "$BENCH_URL/api/indicators/bench-synthetic" --data-binary @- <<'JSON'
{ "id": "bench-synthetic",
  "title": { "sv": "Syntetiskt testvärde (benchmark)", "en": "Synthetic value (benchmark only)" },
  "unit": "index", "description": "Made-up numbers for benchmarking; not statistics.", "source": "scripts/bench/indicators.sh",
  "areaLevels": ["municipality"], "periodType": "year", "dividedByGender": false, "decimals": 1,
  "licence": "none: synthetic", "attribution": "synthetic" }
JSON

# 290 municipality codes from the layer, 10 years each, deterministic made-up values.
csv=$(mktemp)
{
  echo "area,period,value"
  curl -sf "$BENCH_URL/api/layers/municipalities/features?properties=KOM_KOD&limit=1000" \
    | grep -o '"KOM_KOD" *: *"[0-9]*"' | tr -dc '0-9\n' \
    | awk '{ for (y = 2015; y <= 2024; y++) printf "%s,%d,%.1f\n", $1, y, ($1 * 7 + y * 13) % 5000 / 10 + 50 }'
} >"$csv"
rows=$(($(wc -l <"$csv") - 1))
upload=$(curl -sf "${auth[@]}" -H 'Content-Type: text/csv' --data-binary @"$csv" "$BENCH_URL/api/indicators/bench-synthetic/values")
rm -f "$csv"
log "uploaded $rows synthetic values: $upload"

indicator_cases() {
  local suffix=$1
  bench_http "IND (a) map, 290 municipalities$suffix" "$BENCH_URL/api/indicators/bench-synthetic/map?period=2024"
  bench_http "IND (a') map, 290, jenks + change$suffix" "$BENCH_URL/api/indicators/bench-synthetic/map?period=2024&change_from=2015&method=jenks"
  bench_http "IND (a'') map, 290, gzip$suffix" "$BENCH_URL/api/indicators/bench-synthetic/map?period=2024" -H "Accept-Encoding: gzip"
  bench_http "IND (b) 10 years x 290, JSON$suffix" "$BENCH_URL/api/indicators/bench-synthetic/values?from=2015&to=2024"
  bench_http "IND (b') 10 years x 290, CSV$suffix" "$BENCH_URL/api/indicators/bench-synthetic/values?from=2015&to=2024" -H "Accept: text/csv"
  bench_http "IND (c) population map, county 23$suffix" "$BENCH_URL/api/indicators/population/map?county=23&change_from=2000"
}
indicator_cases ""

if [ -n "$standalone" ]; then
  bench_stop
  export SpatialRegion__ResponseCacheMegabytes=0
  bench_start "$root"
  log "again with the response cache off"
  indicator_cases ", no cache"
  unset SpatialRegion__ResponseCacheMegabytes
fi

curl -sf -o /dev/null "${auth[@]}" -X DELETE "$BENCH_URL/api/indicators/bench-synthetic" || true
(cd "$api" && dotnet bin/Release/net10.0/SpatialRegion.Api.dll revoke-api-key "$key_name" >/dev/null) || true
