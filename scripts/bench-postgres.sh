#!/usr/bin/env bash
# ./bench.sh --postgres [--smoke]: the ingest figures on PostgreSQL with one and two app instances, beside the no-op
# POST and a raw multi-row INSERT into the same schema, all in this run; rewrites the PostgreSQL section of
# docs/benchmarks.md (--smoke: toy sizes, .cache/bench/benchmarks-smoke.md), leaving the SQLite figures as they are.
# A throwaway PostgreSQL cluster (scripts/test-postgres.sh, with PostgreSQL's default durability) in a temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/measure-app.sh
source scripts/test-postgres.sh
source scripts/test-redis.sh

if [ "${1:-}" = "--smoke" ]; then
  scale="smoke"; requests=(100 200 400); batches=5; rows=2000; alerts=20; alert_rate=50; out=.cache/bench/benchmarks-smoke.md
else
  scale="full: empty database"; requests=(3000 20000 30000); batches=300; rows=200000; alerts=200; alert_rate=200; out=docs/benchmarks.md
fi
port=${PORT:-5481}; port2=$((port + 1)); noop_port=$((port + 2)); receiver_port=$((port + 3))
build_measure_tools
results=$(mktemp)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; redis_test_stop; pg_test_stop; rm -f "$results"; }
trap cleanup EXIT
PG_TEST_DURABLE=1 pg_test_start
redis_test_start
pg_port=$(echo "$IMMUTABLE_TEST_POSTGRES" | sed -E 's/.*Port=([0-9]+).*/\1/')
psql_admin() { "$(pg_test_bindir)/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qAt -c "$1"; }
psql_admin "CREATE DATABASE bench_app" && psql_admin "CREATE DATABASE bench_raw"
bench record pg.server_major "$(psql_admin 'SHOW server_version_num' | cut -c1-2)" --results "$results"
cs() { echo "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$1;Maximum Pool Size=100"; }

echo "== ceiling: no-op POST"
dotnet .cache/measure/bench/Immutable.Bench.dll noop-server --port "$noop_port" &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$noop_port/ready" >/dev/null && break; sleep 0.1; done
for i in 0 1 2; do
  c=$(echo 1 16 64 | cut -d' ' -f$((i + 1)))
  BENCH_RESULTS_PREFIX=pg. bench single --url "http://127.0.0.1:$noop_port" --path /noop --requests "${requests[$i]}" --concurrency "$c" --results "$results"
done
kill "${pids[-1]}"

echo "== ceiling: raw multi-row INSERT into the app's PostgreSQL schema"
BENCH_RESULTS_PREFIX=pg. bench raw-postgres --connection "$(cs bench_raw)" --rows "$rows" --batch 100 --results "$results"

export Storage__Provider=Postgres ConnectionStrings__Default="$(cs bench_app)"
export Geo__DatabasePath="$PWD/.cache/geo/GeoLite2-City.mmdb" Logging__LogLevel__Default=Warning
export RateLimiting__PermitsPerSecond=10000000 RateLimiting__Burst=10000000
# The instances share a Redis (SignalR's backplane) as a cluster would; the live-latency step's webhook receiver is local.
export Redis__ConnectionString="$IMMUTABLE_TEST_REDIS" Webhooks__AllowedPrivateHosts__0=127.0.0.1
key=$(dotnet .cache/measure/app/Immutable.Web.dll keys create --workspace bench --label measure 2>/dev/null)
start_instance() { # PORT
  dotnet .cache/measure/app/Immutable.Web.dll --urls "http://127.0.0.1:$1" &
  pids+=($!)
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.2; done
  echo "the app did not become ready on port $1" >&2; return 1
}

echo "== one instance"
start_instance "$port"
for i in 0 1 2; do
  c=$(echo 1 16 64 | cut -d' ' -f$((i + 1)))
  BENCH_RESULTS_PREFIX=pg.i1. bench single --url "http://127.0.0.1:$port" --key "$key" --requests "${requests[$i]}" --concurrency "$c" --results "$results"
done
BENCH_RESULTS_PREFIX=pg.i1. bench batch --url "http://127.0.0.1:$port" --key "$key" --batches "$batches" --size 100 --concurrency 4 --results "$results"
BENCH_RESULTS_PREFIX=pg.i1. bench live-latency --url "http://127.0.0.1:$port" --key "$key" --alerts "$alerts" --rate "$alert_rate" --receiver-port "$receiver_port" --results "$results"

echo "== two instances, one database, connections spread over both"
start_instance "$port2"
for i in 1 2; do
  c=$(echo 1 16 64 | cut -d' ' -f$((i + 1)))
  BENCH_RESULTS_PREFIX=pg.i2. bench single --url "http://127.0.0.1:$port,http://127.0.0.1:$port2" --key "$key" --requests "${requests[$i]}" --concurrency "$c" --results "$results"
done
BENCH_RESULTS_PREFIX=pg.i2. bench batch --url "http://127.0.0.1:$port,http://127.0.0.1:$port2" --key "$key" --batches "$batches" --size 100 --concurrency 4 --results "$results"

echo "== alert latency across instances: events posted to one instance, the SignalR client on the other"
BENCH_RESULTS_PREFIX=pg.i2. bench live-latency --url "http://127.0.0.1:$port" --hub-url "http://127.0.0.1:$port2" --key "$key" --alerts "$alerts" --rate "$alert_rate" --receiver-port "$receiver_port" --results "$results"

echo "== report"
mkdir -p .cache/bench
bench report-postgres --results "$results" --out "$out" --command "./bench.sh --postgres${1:+ $1}" --scale "$scale"
