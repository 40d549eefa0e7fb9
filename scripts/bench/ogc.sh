#!/usr/bin/env bash
# OGC API - Features benchmark: wrk on loopback (BENCH_DURATION, default 10 s, BENCH_CONNECTIONS, default 8)
# against the Release service on its own port. Sourced by scripts/bench.sh after the REST cases; run on its own
# it starts the service itself. Targets on a 2-core machine: the page of 10 at 1500 req/s or more, all 290
# municipalities at 100 req/s or more, and a CQL2-filtered page no slower than half the unfiltered one.
# shellcheck source=../lib/bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/bench.sh"
bench_attach_or_start

ogc_items="$BENCH_URL/ogc/collections/municipalities/items"
# LAN_KOD = '23' AND KOMMUNNAMN LIKE '%s%', as QGIS would push it down.
cql2="filter=LAN_KOD%20%3D%20%2723%27%20AND%20KOMMUNNAMN%20LIKE%20%27%25s%25%27"

bench_http "OGC (a) items, page of 10" "$ogc_items?limit=10"
bench_http "OGC (b) all 290 municipalities, CRS84" "$ogc_items?limit=1000"
bench_http "OGC (b') all 290 in EPSG:3006 (N,E)" "$ogc_items?limit=1000&crs=http://www.opengis.net/def/crs/EPSG/0/3006"
bench_http "OGC (b'') all 290, gzip" "$ogc_items?limit=1000" -H "Accept-Encoding: gzip"
bench_http "OGC (c) bbox around Östersund" "$ogc_items?bbox=14.45,63.13,14.85,63.23"
bench_http "OGC (e) CQL2 text filter, page of 10" "$ogc_items?limit=10&$cql2"
bench_http "OGC (e') CQL2 spatial filter, page of 10" "$ogc_items?limit=10&filter=S_INTERSECTS(geometry,POINT(14.64%2063.18))"
bench_http "OGC (f) one feature" "$ogc_items/2380"
bench_http "OGC (g) collections" "$BENCH_URL/ogc/collections"
bench_http "OGC (h) API definition" "$BENCH_URL/ogc/api"
bench_http "OGC (i) HTML page of 100" "$ogc_items?f=html&limit=100"
