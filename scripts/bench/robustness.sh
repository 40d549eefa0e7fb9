#!/usr/bin/env bash
# Robustness benchmark: what a refusal costs next to an answer. wrk on loopback (BENCH_DURATION, default 10 s,
# BENCH_CONNECTIONS, default 8) against the Release service. Refusals are 4xx by design, so wrk counts them as
# Non-2xx; the rate is what matters: a hostile request must cost less than a real one, never more.
# Sourced by scripts/bench.sh; run on its own it starts the service itself.
# shellcheck source=../lib/bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/bench.sh"
bench_attach_or_start

items="$BENCH_URL/ogc/collections/municipalities/items"
# KOMMUNNAMN = 'Åre' in 32 parentheses (the limit) and in 33 (refused).
nested() { printf '%%28%.0s' $(seq 1 "$1"); printf 'KOMMUNNAMN%%20%%3D%%20%%27%%C3%%85re%%27'; printf '%%29%.0s' $(seq 1 "$1"); }

bench_http "Robustness (a) items, page of 10" "$items?limit=10"
bench_http "Robustness (b) CQL2 nested 32 deep (limit)" "$items?limit=10&filter=$(nested 32)"
bench_http "Robustness (c) CQL2 nested 33 deep (400)" "$items?limit=10&filter=$(nested 33)"
bench_http "Robustness (d) NUL in a property value (400)" "$BENCH_URL/api/layers/counties/features?LAN_KOD=%00"
bench_http "Robustness (e) bad UTF-8 in a WFS parameter (400)" \
  "$BENCH_URL/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=sr:counties&SRSNAME=%C3%28"
