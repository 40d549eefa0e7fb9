#!/usr/bin/env bash
# Analysis benchmark: end-to-end latency of the overlay, interpolation and spatial-join endpoints (sequential
# requests, BENCH_RUNS each after one warm-up, median/min/max), the server's own split into staging and
# computing (Server-Timing), and EXPLAIN ANALYZE of the statements that dominate. Sourced by scripts/bench.sh;
# run on its own it starts the service itself. Aims on a 2-core machine: all 290 municipalities × 60 FA
# regions under 2 s, a municipal indicator onto the 67 local labour markets under 1 s.
# shellcheck source=../lib/bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/bench.sh"
bench_attach_or_start
BENCH_RUNS=${BENCH_RUNS:-5}
analysis_state=$(local_state_dir "${BENCH_ROOT:?}")
analysis_psql() { pg_psql "$analysis_state" -d spatialregion -qtA "$@"; }

# A municipal indicator for all 290 municipalities: area in km² (extensive), sent as {code: value}.
analysis_indicator=$(analysis_psql -c "SELECT json_object_agg(fid, round((ST_Area(geom) / 1e6)::numeric, 1)) FROM layer_features WHERE layer_id = 'municipalities'")

bench_analysis "overlay 290 municipalities × 60 FA, WGS 84" /api/analysis/overlay \
  '{"operation": "intersection", "a": {"layer": "municipalities", "properties": ["KOMMUNNAMN"]}, "b": {"layer": "fa-regions", "properties": ["fa_namn"]}}'
bench_analysis "overlay 290 × 60, EPSG:3006" /api/analysis/overlay \
  '{"operation": "intersection", "a": {"layer": "municipalities", "properties": ["KOMMUNNAMN"]}, "b": {"layer": "fa-regions", "properties": ["fa_namn"]}, "output_crs": "EPSG:3006"}'
bench_analysis "overlay 290 × 60 dissolved by FA" /api/analysis/overlay \
  '{"operation": "intersection", "a": {"layer": "municipalities", "properties": []}, "b": {"layer": "fa-regions", "properties": ["fa_kod"]}, "dissolve_by": "b_fa_kod"}'
bench_analysis "overlay 290 × 60 union (pieces + both remainders)" /api/analysis/overlay \
  '{"operation": "union", "a": {"layer": "municipalities", "properties": ["KOMMUNNAMN"]}, "b": {"layer": "fa-regions", "properties": ["fa_namn"]}, "output_crs": "EPSG:3006"}'
bench_analysis "interpolate 290 municipalities → 67 LA" /api/analysis/interpolate \
  "{\"source\": {\"layer\": \"municipalities\"}, \"target\": {\"layer\": \"labour-market-regions\", \"properties\": [\"name\"]}, \"variables\": [{\"name\": \"km2\", \"type\": \"extensive\", \"values\": $analysis_indicator}]}"
bench_analysis "interpolate 8 of county 23 → LA, 1 km grid" /api/analysis/interpolate \
  '{"source": {"layer": "municipalities", "filter": {"LAN_KOD": "23"}}, "target": {"layer": "labour-market-regions"}, "variables": [{"name": "population", "type": "extensive", "values": {"2303": 5146, "2305": 6035, "2309": 15680, "2313": 11023, "2321": 12693, "2326": 7108, "2361": 10175, "2380": 64979}}], "weights": "population_grid"}'
bench_analysis "spatial join tätorter per 290 municipalities" /api/analysis/spatial-join \
  '{"target": {"layer": "municipalities", "properties": ["KOMMUNNAMN"]}, "joins": [{"source": {"layer": "tatorter"}, "statistics": [{"op": "count"}, {"op": "sum", "property": "pop"}]}]}'

echo "-- where the time goes (EXPLAIN ANALYZE in PostGIS, same statements on the same staged tables)"
analysis_explain() {
  analysis_psql -c "
    BEGIN;
    CREATE TEMP TABLE analysis_a (fid text COLLATE \"C\", properties jsonb, geom geometry, measure float8) ON COMMIT DROP;
    CREATE TEMP TABLE analysis_b (LIKE analysis_a) ON COMMIT DROP;
    ALTER TABLE analysis_a ALTER COLUMN geom SET STORAGE EXTERNAL;
    ALTER TABLE analysis_b ALTER COLUMN geom SET STORAGE EXTERNAL;
    INSERT INTO analysis_a SELECT fid, properties, geom, ST_Area(geom) FROM layer_features WHERE layer_id = 'municipalities';
    INSERT INTO analysis_b SELECT fid, properties, geom, ST_Area(geom) FROM layer_features WHERE layer_id = '$1';
    CREATE INDEX ON analysis_a USING gist (geom); CREATE INDEX ON analysis_b USING gist (geom); ANALYZE analysis_a; ANALYZE analysis_b;
    EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) $2;
    ROLLBACK;" | grep -E 'Execution Time' | sed "s/^/  $3: /"
}
analysis_explain fa-regions "SELECT count(*) FROM analysis_a a JOIN analysis_b b ON ST_Intersects(a.geom, b.geom)" "290 × 60 pairs that meet (index + ST_Intersects)"
analysis_explain fa-regions "SELECT count(*) FROM analysis_a a JOIN analysis_b b ON a.geom && b.geom" "290 × 60 pairs by box (index only)"
analysis_explain fa-regions "SELECT count(analysis_intersection(a.geom, b.geom, 3)) FROM analysis_a a JOIN analysis_b b ON a.geom && b.geom" "290 × 60 intersections (analysis_intersection)"
analysis_explain fa-regions "SELECT count(ST_Intersection(a.geom, b.geom)) FROM analysis_a a JOIN analysis_b b ON a.geom && b.geom" "290 × 60 intersections (plain ST_Intersection)"
analysis_explain fa-regions "SELECT sum(length(ST_AsGeoJSON(ST_Transform(ST_Intersection(a.geom, b.geom), 4326), 7, 0))) FROM analysis_a a JOIN analysis_b b ON a.geom && b.geom" "... plus transform and GeoJSON text"
analysis_explain labour-market-regions "SELECT sum(ST_Area(analysis_intersection(a.geom, b.geom, 3))) FROM analysis_a a JOIN analysis_b b ON a.geom && b.geom" "290 × 67 interpolation pieces"
