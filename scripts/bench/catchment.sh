#!/usr/bin/env bash
# Catchment and accessibility benchmark on the default road network and the Pipos pharmacies: end-to-end latency
# of the four cases below (sequential requests, BENCH_RUNS each after one warm-up, median/min/max, with the server's
# staging/computing split), measured in the same run against plain pgRouting SQL answering the same question, and the
# service's memory with the network graph loaded. Sourced by scripts/bench.sh; run on its own it starts the service.
# Aims (2 cores): one pharmacy's 10/20/30-minute isochrones with population ≤ 0.3 s; all of county 23's pharmacies
# and agents dissolved ≤ 3 s; the nearest pharmacy of every populated square plus the per-municipality summary
# ≤ 1 s and ≥ 5× faster than pgRouting origin by origin; a closure scenario ≤ 1.5 s.
# shellcheck source=../lib/bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/bench.sh"
bench_attach_or_start
BENCH_RUNS=${BENCH_RUNS:-3}
catchment_state=$(local_state_dir "${BENCH_ROOT:?}")
catchment_psql() { pg_psql "$catchment_state" -d spatialregion -qtA "$@"; }

# bench_sql_once NAME SQL: one run of a statement in psql, wall-clock seconds.
bench_sql_once() {
  local name=$1 sql=$2 start end
  start=$(date +%s.%N)
  catchment_psql -c "SET statement_timeout = 0" -c "$sql" >/dev/null
  end=$(date +%s.%N)
  awk -v name="$name" -v s="$start" -v e="$end" 'BEGIN { printf "%-46s %6.3f s  (pgRouting, one run)\n", name, e - s }' | tee -a "$BENCH_RESULTS"
}

catchment_psql -c "CREATE EXTENSION IF NOT EXISTS pgrouting"
one_pharmacy='{"layer": "pharmacies", "filter": {"Namn": "Apoteket Kärnan"}}'
county_pharmacies='{"layer": "pharmacies", "filter": {"Län": "Jämtlands län"}}'
closed=$(catchment_psql -c "SELECT fid FROM layer_features WHERE layer_id = 'pharmacies' AND properties ->> 'Namn' = 'Apoteket Kärnan'")
edges="SELECT edge_id AS id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost FROM network_edges WHERE network_id = ''roads''"

echo "-- service"
bench_analysis "isochrones 10/20/30 min, 1 pharmacy, population" /api/analysis/catchment \
  "{\"facilities\": $one_pharmacy, \"minutes\": [10, 20, 30], \"population\": true}"
bench_analysis "isochrones 10/20/30, county 23 pharmacies, dissolved" /api/analysis/catchment \
  "{\"facilities\": $county_pharmacies, \"minutes\": [10, 20, 30], \"population\": true, \"dissolve\": true}"
bench_analysis "nearest pharmacy, all squares of 23 + municipalities" /api/analysis/accessibility \
  '{"facilities": {"layer": "pharmacies"}, "output": "areas"}'
bench_analysis "closure of one pharmacy (delta tables)" /api/analysis/accessibility \
  "{\"facilities\": {\"layer\": \"pharmacies\"}, \"output\": \"areas\", \"scenario\": {\"close\": [\"$closed\"]}}"
echo "service resident memory with the graph loaded: $(bench_rss_mb) MB" | tee -a "$BENCH_RESULTS"
vertices=$(catchment_psql -c "SELECT sum(ST_NPoints(geom)) FROM network_edges WHERE network_id = 'roads'")
curl -s "$BENCH_URL/api/networks/roads" | VERTICES=$vertices python3 -c "import json, os, sys; r = json.load(sys.stdin)['report']; v = int(os.environ['VERTICES']); \
  print(f\"network: {r['edges']} edges, {r['nodes']} nodes, {v} vertices; graph arrays {(r['edges'] * 5 * 4 + (r['nodes'] + 1) * 4 + r['edges'] * 2 * 4) / 1e6:.1f} MB, \" \
        f\"edge lines {((r['edges'] + 1) * 4 + v * 3 * 8) / 1e6:.1f} MB\")" \
  | tee -a "$BENCH_RESULTS"

echo "-- plain pgRouting, same questions"
bench_sql_once "pgr_drivingDistance 30 min, 1 pharmacy, buffer + people" "
  WITH f AS (SELECT geom FROM layer_features WHERE layer_id = 'pharmacies' AND properties ->> 'Namn' = 'Apoteket Kärnan'),
  s AS (SELECT e.source FROM network_edges e, f WHERE e.network_id = 'roads' ORDER BY e.geom <-> f.geom LIMIT 1),
  reached AS (SELECT ST_Buffer(ST_Collect(e.geom), 500) AS geom
              FROM pgr_drivingDistance('$edges', (SELECT source FROM s), 1800, true) d
              JOIN network_edges e ON e.network_id = 'roads' AND e.edge_id = d.edge)
  SELECT sum((p.properties ->> 'beftotalt')::float8 * ST_Area(ST_Intersection(p.geom, r.geom)) / 1e6)
  FROM reached r JOIN layer_features p ON p.layer_id = 'population-grid-1km' AND ST_Intersects(p.geom, r.geom)"
# Origin by origin: one pgr_dijkstraCost per square to every pharmacy's node, 200 squares, scaled to all of them.
squares=$(catchment_psql -c "SELECT count(*) FROM layer_features WHERE layer_id = 'population-grid-1km' AND properties ->> 'lan_join' = 'Jämtlands'")
start=$(date +%s.%N)
catchment_psql -c "SET statement_timeout = 0" -c "
  CREATE TEMP TABLE o AS SELECT p.fid, (SELECT e.source FROM network_edges e WHERE e.network_id = 'roads' ORDER BY e.geom <-> ST_Centroid(p.geom) LIMIT 1) AS node
    FROM layer_features p WHERE p.layer_id = 'population-grid-1km' AND p.properties ->> 'lan_join' = 'Jämtlands' ORDER BY p.fid LIMIT 200;
  CREATE TEMP TABLE f AS SELECT DISTINCT (SELECT e.source FROM network_edges e WHERE e.network_id = 'roads' ORDER BY e.geom <-> p.geom LIMIT 1) AS node
    FROM layer_features p WHERE p.layer_id = 'pharmacies';
  SELECT o.fid, (SELECT min(agg_cost) FROM pgr_dijkstraCost('$edges', o.node, (SELECT array_agg(node) FROM f), true)) FROM o" >/dev/null
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$squares" 'BEGIN { printf "%-46s %6.3f s for 200 squares, %.1f s scaled to all %d\n", "pgr_dijkstraCost origin by origin", e - s, (e - s) * n / 200, n }' \
  | tee -a "$BENCH_RESULTS"
