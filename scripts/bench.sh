#!/usr/bin/env bash
# Benchmarks on loopback: wrk against the service (Release build, project-local PostGIS) and pgbench running the
# same SQL straight against PostGIS, to show what the service adds. Then the per-feature benchmarks in
# scripts/bench/. Prints one line per case. BENCH_MEMORY_SECONDS=60 also reports the service's memory after
# serving the whole municipality layer for that long.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BENCH_ROOT=$ROOT
# shellcheck source=lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"

bench_start "$ROOT"
trap bench_stop EXIT
log "service on $BENCH_URL, wrk ${BENCH_DURATION} with $BENCH_CONNECTIONS connections"

echo "== Layers REST API"
bench_http "(a) page of 10 municipalities" "$BENCH_URL/api/layers/municipalities/features?limit=10"
bench_http "(b) all 290 municipalities, WGS 84" "$BENCH_URL/api/layers/municipalities/features?limit=1000"
bench_http "(c) bbox around Östersund" "$BENCH_URL/api/layers/municipalities/features?bbox=14.45,63.13,14.85,63.23"
bench_http "(b') all 290 in EPSG:3006" "$BENCH_URL/api/layers/municipalities/features?limit=1000&crs=EPSG:3006"
bench_http "(d) one feature by id" "$BENCH_URL/api/layers/municipalities/features/2380"

echo "== The same SQL in PostGIS alone"
props="json_build_object('KOMMUNNAMN', properties->'KOMMUNNAMN', 'KKOD', properties->'KKOD', 'KATEGORI', properties->'KATEGORI', 'LANSNAMN', properties->'LANSNAMN', 'KOMMUNKOD', properties->'KOMMUNKOD', 'LANSKOD', properties->'LANSKOD', 'KOM_KOD', properties->'KOM_KOD', 'LAN_KOD', properties->'LAN_KOD', 'ADAT', properties->'ADAT')::text"
bench_sql "(a) SQL: page of 10" "SELECT fid, $props, ST_AsGeoJSON(geom_wgs84, 7, 0) FROM layer_features WHERE layer_id = 'municipalities' ORDER BY fid LIMIT 10;"
bench_sql "(b) SQL: all 290 (stored WGS 84)" "SELECT fid, $props, ST_AsGeoJSON(geom_wgs84, 7, 0) FROM layer_features WHERE layer_id = 'municipalities' ORDER BY fid LIMIT 1000;"
bench_sql "(b) SQL: all 290 with ST_Transform" "SELECT fid, $props, ST_AsGeoJSON(ST_Transform(geom, 4326), 7, 0) FROM layer_features WHERE layer_id = 'municipalities' ORDER BY fid LIMIT 1000;"
bench_sql "(c) SQL: bbox" "SELECT fid, $props, ST_AsGeoJSON(geom_wgs84, 7, 0) FROM layer_features WHERE layer_id = 'municipalities' AND ST_Intersects(geom_wgs84, ST_MakeEnvelope(14.45, 63.13, 14.85, 63.23, 4326)) ORDER BY fid LIMIT 1000;"

if [ -n "${BENCH_MEMORY_SECONDS:-}" ]; then
  echo "== Memory"
  echo "service RSS before: $(bench_rss_mb) MB"
  BENCH_DURATION="${BENCH_MEMORY_SECONDS}s" bench_http "(b) all 290 for ${BENCH_MEMORY_SECONDS} s" "$BENCH_URL/api/layers/municipalities/features?limit=1000"
  echo "service RSS after serving (b) for ${BENCH_MEMORY_SECONDS} s: $(bench_rss_mb) MB"
fi

for feature in "$ROOT"/scripts/bench/*.sh; do
  [ -e "$feature" ] || continue
  echo "== $(basename "$feature" .sh)"
  # shellcheck source=/dev/null
  source "$feature"
done
