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

for format in "GML 3.2|" "GeoJSON|&OUTPUTFORMAT=application/json"; do
  label=${format%%|*}
  url="$wfs_all${format#*|}"
  case "$(curl -sf "$url")" in
    *'numberReturned="290"'* | *'"numberReturned":290'*) ;;
    *) die "WFS $label: the response does not hold the 290 municipalities" ;;
  esac
  bench_http "WFS all 290, $label, repeated URL" "$url"
  bench_http_fresh "WFS all 290, $label, streamed from PostGIS" "$url"
done

# The query GetFeature runs for the GML page (the default srsName reads the stored rendering, schema 0040),
# straight against PostGIS: what the service adds is the rest.
props=$(printf "properties ->> '%s', " KOMMUNNAMN KKOD KATEGORI LANSNAMN KOMMUNKOD LANSKOD KOM_KOD LAN_KOD ADAT)
bench_sql "WFS SQL: all 290 as GML 3.2" "SELECT fid, $props gml_3006 FROM layer_features WHERE layer_id = 'municipalities' ORDER BY fid LIMIT 10000 OFFSET 0;"

# What QGIS asks for each time a project with WFS layers opens; built once per state of the registry.
bench_http "WFS GetCapabilities" "$BENCH_URL/wfs?SERVICE=WFS&REQUEST=GetCapabilities"
bench_http "WFS DescribeFeatureType, every type" "$BENCH_URL/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType"
