#!/usr/bin/env bash
# Vector tiles benchmark: random tiles at z6-z12 over county 23 for population-grid-1km and municipalities.
#  (u) uncached: a second service with the response cache off (every tile drawn by PostGIS), warmed by one pass
#      over the tiles, loaded by http-latency.mjs (wrk's percentiles are wrong when each request asks for another
#      tile: it reports a cheap tile's latency as if it waited behind a costly one), p50;
#  (s) the same ST_AsMVT statement alone in pgbench on the same tiles with the same number of clients, p50 from
#      pgbench's per-transaction log, once as psql would send it (simple protocol, the server's settings) and once
#      as the service's tile sessions do (prepared, no parallel workers); the target is (u) within 1.3x of (s);
#  (c) cached: wrk against the service after one pass over the tiles; target at least 10x the throughput of (u);
#  (r) the map page's first full render (every tile of the first view drawn) in chromium, median of 9 loads
#      after one that fills the tile cache.
# Sourced by scripts/bench.sh; run on its own it starts the service itself. BENCH_TILES (default 400) tiles.
# shellcheck source=../lib/bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/bench.sh"
bench_attach_or_start
root=${BENCH_ROOT:?}
api=$root/src/SpatialRegion.Api
state=$(local_state_dir "$root")
work=$(mktemp -d)
uncached_port=$((BENCH_PORT + 1))
# wrk and pgbench need at least one connection per thread.
threads=$((BENCH_CONNECTIONS < 2 ? 1 : 2))
port_in_use "$uncached_port" && die "port $uncached_port is in use; set BENCH_PORT"

# The uncached service: the same build and database, no response cache.
(cd "$api" && ASPNETCORE_URLS="http://127.0.0.1:$uncached_port" Logging__LogLevel__Default=Warning Jobs__SchedulerEnabled=false \
  SpatialRegion__ResponseCacheMegabytes=0 exec dotnet bin/Release/net10.0/SpatialRegion.Api.dll >"$work/uncached.log" 2>&1) &
uncached_pid=$!
tiles_cleanup() { kill "$uncached_pid" 2>/dev/null || true; rm -rf "$work"; }
trap 'tiles_cleanup; bench_stop' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$uncached_port/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done

# Random tiles (fixed seed) inside the county's box, zooms 6 to 12.
awk -v n="${BENCH_TILES:-400}" 'BEGIN {
  srand(23); pi = atan2(0, -1)
  for (i = 0; i < n; i++) {
    z = 6 + int(rand() * 7); lon = 12.2 + rand() * 4.8; lat = 61.6 + rand() * 3.4; size = 2 ^ z
    x = int((lon + 180) / 360 * size); r = lat * pi / 180
    y = int((1 - log(sin(r) / cos(r) + 1 / cos(r)) / pi) / 2 * size)
    print i + 1, z, x, y
  }
}' >"$work/tiles.txt"
psql_bench() { PGPASSWORD=$(cat "$state/password") psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(pg_port "$state")" -U postgres -d spatialregion "$@"; }
psql_bench -c "DROP TABLE IF EXISTS bench_tiles; CREATE TABLE bench_tiles (id int PRIMARY KEY, z int, x int, y int)"
psql_bench -c "\\copy bench_tiles FROM '$work/tiles.txt' WITH (DELIMITER ' ')"

for layer in municipalities population-grid-1km; do
  awk -v base="/ogc/collections/$layer/tiles/WebMercatorQuad" '{ print base "/" $2 "/" $4 "/" $3 }' "$work/tiles.txt" >"$work/$layer.paths"
  cat >"$work/$layer.lua" <<LUA
local paths = {}
for line in io.lines("$work/$layer.paths") do paths[#paths + 1] = line end
math.randomseed(23)
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
LUA
  # The statement the service runs (Tiles/VectorTileSql.cs), with the tile's values looked up first.
  cat >"$work/$layer.sql" <<SQL
\\set i random(1, ${BENCH_TILES:-400})
SELECT z, x, y, ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north,
       40075016.685578488 / (2 ^ z) / 4096 / 6378137.0 * 180 / pi() * cos(radians((ST_YMin(e) + ST_YMax(e)) / 2)) AS tolerance
FROM (SELECT z, x, y, ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4326) AS e FROM bench_tiles WHERE id = :i) s \\gset
SELECT ST_AsMVT(t, '$layer', 4096, 'geom') FROM (
  SELECT ST_AsMVTGeom(ST_Transform(ST_Simplify(geom_wgs84, :tolerance, true), 3857), ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS geom,
         properties AS attributes
  FROM layer_features WHERE layer_id = '$layer'
    AND geom_wgs84 && ST_MakeEnvelope(:west, :south, :east, :north, 4326)
) t WHERE geom IS NOT NULL;
SQL
  chmod 644 "$work/$layer.sql"

  while read -r path; do curl -s -o /dev/null "http://127.0.0.1:$uncached_port$path"; done <"$work/$layer.paths"
  read -r u_rps u_p50 _ < <(node "$root/scripts/bench/http-latency.mjs" "http://127.0.0.1:$uncached_port" "$work/$layer.paths" \
    "$BENCH_CONNECTIONS" "${BENCH_DURATION%s}")
  pgbench_p50() { # MODE OPTIONS: p50 and tps of the statement in pgbench
    rm -f "$work/$layer".[0-9]*
    (cd "$work" && PGOPTIONS=$2 PGPASSWORD=$(cat "$state/password") pgbench -n -M "$1" -h 127.0.0.1 -p "$(pg_port "$state")" -U postgres \
      -c "$BENCH_CONNECTIONS" -j "$threads" -T "${BENCH_DURATION%s}" -l --log-prefix="$layer" -f "$work/$layer.sql" spatialregion >"$work/$layer.pgbench" 2>&1)
    printf '%s %s\n' "$(cat "$work/$layer".[0-9]* | awk '{ print $3 }' | sort -n | awk '{ a[NR] = $1 } END { printf "%.2fms", a[int((NR + 1) / 2)] / 1000 }')" \
      "$(awk '/^tps/ { print $3; exit }' "$work/$layer.pgbench")"
  }
  read -r s_p50 s_tps < <(pgbench_p50 simple "")
  read -r t_p50 t_tps < <(pgbench_p50 prepared "-c max_parallel_workers_per_gather=0")

  while read -r path; do curl -s -o /dev/null "$BENCH_URL$path"; done <"$work/$layer.paths"
  cached=$(wrk -t"$threads" -c"$BENCH_CONNECTIONS" -d"$BENCH_DURATION" --latency -s "$work/$layer.lua" "$BENCH_URL" 2>&1)
  c_rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$cached")
  c_p50=$(awk '$1 == "50%" { print $2 }' <<<"$cached")

  ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v / 1000; else if (v ~ /ms$/) print v + 0; else print v * 1000 }'; }
  ratio=$(awk -v u="$(ms "$u_p50")" -v s="$(ms "$s_p50")" 'BEGIN { printf "%.2f", u / s }')
  ratio_same=$(awk -v u="$(ms "$u_p50")" -v s="$(ms "$t_p50")" 'BEGIN { printf "%.2f", u / s }')
  speedup=$(awk -v c="$c_rps" -v u="$u_rps" 'BEGIN { printf "%.1f", c / u }')
  printf '%-44s %10s req/s   p50 %-9s\n' "Tiles (u) $layer, uncached" "$u_rps" "$u_p50" | tee -a "$BENCH_RESULTS"
  printf '%-44s %10s tx/s    p50 %-9s (PostGIS alone, pgbench, as psql sends it)\n' "Tiles (s) $layer, ST_AsMVT SQL" "$s_tps" "$s_p50" | tee -a "$BENCH_RESULTS"
  printf '%-44s %10s tx/s    p50 %-9s (PostGIS alone, pgbench, prepared, no parallel workers)\n' "Tiles (s') $layer, ST_AsMVT SQL" "$t_tps" "$t_p50" | tee -a "$BENCH_RESULTS"
  printf '%-44s %10s req/s   p50 %-9s\n' "Tiles (c) $layer, cached" "$c_rps" "$c_p50" | tee -a "$BENCH_RESULTS"
  printf '%-44s uncached p50 / SQL p50 = %s (target <= 1.3), / SQL as the service sends it = %s; cached / uncached throughput = %sx (target >= 10)\n' \
    "Tiles $layer" "$ratio" "$ratio_same" "$speedup" | tee -a "$BENCH_RESULTS"
done
psql_bench -c "DROP TABLE bench_tiles"

# First full render of the map page in chromium (tests/browser's Playwright and browser settings).
render=$(cd "$root" && SPATIALREGION_URL="$BENCH_URL" node scripts/bench/map-render.mjs 9)
printf '%-44s %s\n' "Map (r) first full render, median of 9" "$render" | tee -a "$BENCH_RESULTS"
