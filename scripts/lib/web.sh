# Shared by run.sh, test.sh and the benchmarks: Node.js and npm for the map library the build copies into the
# service's static files (npm ci from package-lock.json), and Debian's chromium for the browser tests.
# Source it after postgis.sh; do not run it.

# The build runs `npm ci` itself (src/SpatialRegion.Api's CopyMapLibre target); this only makes npm available.
ensure_node() {
  if ! command -v npm >/dev/null; then
    ensure_packages nodejs npm
  fi
}

# Playwright's own browser download cannot work here: the tests drive Debian's chromium (tests/browser).
ensure_chromium() { ensure_packages chromium; }

# start_service DLL CONNECTION_STRING PORT LOG: the built service in the background on 127.0.0.1:PORT; prints its pid
# once /health/ready answers.
start_service() {
  local dll=$1 connection=$2 port=$3 logfile=$4
  (cd "$(dirname "$dll")" && ConnectionStrings__Postgis="$connection" ASPNETCORE_URLS="http://127.0.0.1:$port" \
    Jobs__SchedulerEnabled=false exec dotnet "$dll" >"$logfile" 2>&1) &
  local pid=$!
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then
      echo "$pid"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$logfile" >&2; die "the service exited"; }
    sleep 0.5
  done
  kill "$pid" 2>/dev/null
  tail -n 30 "$logfile" >&2
  die "the service did not become ready on port $port"
}
