# Shared by scripts/bench.sh and scripts/bench/*.sh: start the service in Release on a port of its own against
# the project-local PostGIS, and measure with wrk on loopback. Source it; do not run it.
# shellcheck source=postgis.sh
source "$(dirname "${BASH_SOURCE[0]}")/postgis.sh"

BENCH_PORT=${BENCH_PORT:-5080}
BENCH_URL="http://127.0.0.1:$BENCH_PORT"
BENCH_DURATION=${BENCH_DURATION:-10s}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-8}
BENCH_RESULTS=${BENCH_RESULTS:-$(mktemp)}

# bench_start ROOT: builds, starts PostGIS and the service (setup imports missing layers), waits until ready.
bench_start() {
  local root=$1
  ensure_packages wrk
  "$root/scripts/db.sh" start
  ConnectionStrings__Postgis=$("$root/scripts/db.sh" url)
  export ConnectionStrings__Postgis DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  dotnet build "$root/src/SpatialRegion.Api" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
  (cd "$root/src/SpatialRegion.Api" && dotnet bin/Release/net10.0/SpatialRegion.Api.dll setup >/dev/null)
  port_in_use "$BENCH_PORT" && die "port $BENCH_PORT is in use; set BENCH_PORT"
  # No scheduled refresh may reach SCB or Kolada in the middle of a measurement.
  (cd "$root/src/SpatialRegion.Api" && ASPNETCORE_URLS=$BENCH_URL Logging__LogLevel__Default=Warning Jobs__SchedulerEnabled=false \
    exec dotnet bin/Release/net10.0/SpatialRegion.Api.dll >"${TMPDIR:-/tmp}/spatialregion-bench.log" 2>&1) &
  BENCH_PID=$!
  for _ in $(seq 1 120); do
    curl -sf "$BENCH_URL/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "the service did not become ready; see ${TMPDIR:-/tmp}/spatialregion-bench.log"
}

# bench_attach_or_start: for scripts/bench/*.sh. Sourced by scripts/bench.sh they measure the service it started;
# run on their own they start one (BENCH_STANDALONE=1) and stop it on exit.
bench_attach_or_start() {
  BENCH_STANDALONE=
  if [ -n "${BENCH_PID:-}" ] && curl -sf "$BENCH_URL/health/ready" >/dev/null 2>&1; then
    return 0
  fi
  set -euo pipefail
  BENCH_ROOT=${BENCH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
  export BENCH_ROOT
  bench_start "$BENCH_ROOT"
  trap bench_stop EXIT
  BENCH_STANDALONE=1
  log "service on $BENCH_URL, wrk ${BENCH_DURATION} with $BENCH_CONNECTIONS connections"
}

bench_stop() { [ -n "${BENCH_PID:-}" ] && kill "$BENCH_PID" 2>/dev/null && wait "$BENCH_PID" 2>/dev/null; BENCH_PID=; }

# bench_rss_mb: resident memory of the service process.
bench_rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$BENCH_PID/status"; }

# bench_http NAME URL [extra wrk args...]: one warm-up request, then wrk; appends a result line.
bench_http() {
  local name=$1 url=$2; shift 2
  local size
  size=$(curl -s -o /dev/null -w '%{size_download}' "$@" "$url")
  local out
  out=$(wrk -t2 -c"$BENCH_CONNECTIONS" -d"$BENCH_DURATION" --latency "$url" "$@" 2>&1)
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ { print }' <<<"$out" | tr '\n' ' ')
  printf '%-44s %10s req/s   p50 %-9s p99 %-9s %9s bytes %s\n' "$name" "$rps" "$p50" "$p99" "$size" "$errors" | tee -a "$BENCH_RESULTS"
}

# bench_http_fresh NAME URL: like bench_http, but every request carries a new value of an ignored parameter, so
# that no response comes from the response cache.
bench_http_fresh() {
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

# bench_sql NAME SQL: the same work straight against PostGIS with pgbench (8 clients, same duration).
bench_sql() {
  local name=$1 sql=$2 root=${BENCH_ROOT:?}
  local state script
  state=$(local_state_dir "$root")
  script=$(mktemp)
  printf '%s\n' "$sql" >"$script"
  chmod 644 "$script"
  local tps
  tps=$(PGPASSWORD=$(cat "$state/password") pgbench -n -h 127.0.0.1 -p "$(pg_port "$state")" -U postgres \
      -c "$BENCH_CONNECTIONS" -j 2 -T "${BENCH_DURATION%s}" -f "$script" spatialregion 2>&1 | awk '/^tps/ { print $3; exit }')
  rm -f "$script"
  printf '%-44s %10s tx/s    (PostGIS alone, pgbench)\n' "$name" "$tps" | tee -a "$BENCH_RESULTS"
}

# bench_analysis NAME PATH BODY: BENCH_RUNS timed POSTs; prints median/min/max seconds, the server's
# staging and computing time of the median run, and the response size.
bench_analysis() {
  local name=$1 path=$2 body=$3 headers times=()
  headers=$(mktemp)
  curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary "$body" "$BENCH_URL$path" || { echo "$name: request failed"; rm -f "$headers"; return 0; }
  for _ in $(seq 1 "${BENCH_RUNS:-5}"); do
    times+=("$(curl -s -o /dev/null -D "$headers" -w '%{time_total} %{size_download}' -H 'Content-Type: application/json' \
      -H 'Cache-Control: no-cache' --data-binary "$body" "$BENCH_URL$path") $(sed -n 's/^Server-Timing: stage;dur=\([0-9.]*\), compute;dur=\([0-9.]*\).*/\1 \2/p' "$headers" | tr -d '\r')")
  done
  rm -f "$headers"
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" '
    { t[NR] = $1; size = $2; stage[NR] = $3; compute[NR] = $4 }
    END { m = int((NR + 1) / 2);
          printf "%-46s median %6.3f s  (min %.3f, max %.3f)  stage %6.0f ms  compute %6.0f ms  %9d bytes\n",
                 name, t[m], t[1], t[NR], stage[m], compute[m], size }' | tee -a "$BENCH_RESULTS"
}
