#!/usr/bin/env bash
# The product against this machine's own ceilings, in one run (README, "Performance"):
#   ./bench.sh           full run (~10 minutes), rewrites docs/benchmarks.md
#   ./bench.sh --smoke   the same steps at toy sizes (seconds), report under .cache/bench; run by ./test.sh
# Steps: seed 1 000 000 events + 20 000 alerts through the app's chain writer; no-op POST ceiling at 1/16/64
# connections; the Release app on that data folder: single-event ingest at 1/16/64 connections, batch ingest,
# single-event ingest with one webhook log stream on; raw
# SQLite insert ceiling; monitor evaluation (1 and 10 monitors, from scratch and incremental) beside the SQL
# window-function ceiling over the same rows; alert latency (SignalR client and webhook receiver) under half-capacity background load;
# query latency; the app's resident memory; export of the seeded events (CSV and NDJSON) beside a raw SELECT of the
# same rows to a file, with the app's peak memory; retention's archive of the seeded day with ingest p99 meanwhile;
# the report.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/lib/measure-app.sh
# ./bench.sh --postgres [--smoke]: the PostgreSQL figures (one and two instances), their own section of the report.
[ "${1:-}" = "--postgres" ] && exec ./scripts/bench-postgres.sh "${@:2}"

if [ "${1:-}" = "--smoke" ]; then
  scale=smoke; events=3000; alerts=500; requests=(100 200 400); batches=5; rows=2000; live=10; queries=20
  monitor_events=20000; monitor_users=20; monitor_increment=1000
  out=.cache/bench/benchmarks-smoke.md
else
  scale="full: 1 000 000 events stored"; events=1000000; alerts=20000; requests=(3000 20000 30000); batches=300; rows=200000; live=300; queries=200
  monitor_events=1000000; monitor_users=1000; monitor_increment=10000
  out=docs/benchmarks.md
fi
port=${PORT:-5091}; noop_port=$((port + 1)); receiver_port=$((port + 2)); stream_port=$((port + 3))

build_measure_tools
data=$(mktemp -d)
results="$data/results.txt"
mkdir -p .cache/bench

echo "== seed"
ConnectionStrings__Default="Data Source=$data/immutable.db" Logging__LogLevel__Default=Warning \
  bench seed --data "$data" --events "$events" --alerts "$alerts"
bench record query.events_stored "$events" --results "$results"
bench record query.alerts_stored "$alerts" --results "$results"

echo "== integrity: sign the seeded history (what the app's worker would otherwise do at its start, during the ingest figures)"
for step in checkpoint anchor; do
  started=$(date +%s.%N)
  ConnectionStrings__Default="Data Source=$data/immutable.db" Logging__LogLevel__Default=Warning \
    dotnet .cache/measure/app/Immutable.Web.dll integrity "$step" --workspace history
  bench record "integrity.$step.seconds" "$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')" --results "$results"
done

echo "== ceiling: no-op POST"
dotnet .cache/measure/bench/Immutable.Bench.dll noop-server --port "$noop_port" &
noop=$!
trap 'kill $noop 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$noop_port/ready" >/dev/null && break; sleep 0.1; done
for i in 0 1 2; do
  c=$(echo 1 16 64 | cut -d' ' -f$((i + 1)))
  bench single --url "http://127.0.0.1:$noop_port" --path /noop --requests "${requests[$i]}" --concurrency "$c" --results "$results"
done
kill $noop; wait $noop 2>/dev/null || true

echo "== ceiling: raw SQLite insert"
bench raw-sqlite --rows "$rows" --batch 100 --results "$results"

echo "== monitors: the evaluator beside one SQL query with window functions over the same rows (in process, its own store; fails on different observations)"
bench monitor-eval --events "$monitor_events" --users "$monitor_users" --increment "$monitor_increment" --results "$results"

echo "== product"
export Webhooks__AllowedPrivateHosts__0=127.0.0.1
start_app "$port" "$data"
history_key=$(dotnet .cache/measure/app/Immutable.Web.dll keys create --workspace history --label bench 2>/dev/null)
# The app's own CPU time (user + system, from /proc) per event of a step: unlike throughput, it does not count the load
# tool or the stream's receiver, which share this machine's cores with the app.
app_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$app/stat"; }
record_cpu_per_event() { # NAME TICKS_BEFORE EVENTS
  bench record "$1" "$(awk -v t=$(( $(app_cpu_ticks) - $2 )) -v hz="$(getconf CLK_TCK)" -v n="$3" 'BEGIN { printf "%.4f", t / hz * 1000 / n }')" --results "$results"
}
for i in 0 1 2; do
  c=$(echo 1 16 64 | cut -d' ' -f$((i + 1)))
  ticks=$(app_cpu_ticks)
  bench single --url "$url" --key "$key" --requests "${requests[$i]}" --concurrency "$c" --results "$results"
  [ "$c" = 64 ] && record_cpu_per_event single.c64.app_cpu_ms_per_event "$ticks" "${requests[$i]}"
done
bench batch --url "$url" --key "$key" --batches "$batches" --size 100 --concurrency 4 --results "$results"
ticks=$(app_cpu_ticks)
bench stream-ingest --url "$url" --key "$key" --requests "${requests[2]}" --concurrency 64 --receiver-port "$stream_port" --results "$results"
record_cpu_per_event stream.c64.app_cpu_ms_per_event "$ticks" "${requests[2]}"
rate=$(awk '$1 == "single.c64.events_per_s" { printf "%d", $2 / 2 }' "$results")
# Ingest during the archive run: a quarter of the capacity at 64 connections (a busy but not saturated app).
archive_rate=$(awk '$1 == "single.c64.events_per_s" { r = int($2 / 4); if (r < 10) r = 10; printf "%d", r }' "$results")
bench live-latency --url "$url" --key "$key" --alerts "$live" --rate "$rate" --receiver-port "$receiver_port" --results "$results"
bench queries --url "$url" --key "$history_key" --requests "$queries" --results "$results"
rss_mb=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$app/status")
bench record app.rss_mb "$rss_mb" --results "$results"

echo "== integrity: verification speed, and ingest with and without checkpoints and anchors"
bench integrity-verify --url "$url" --key "$history_key" --events "$events" --results "$results"
echo "== exports and archives (after the memory figure above, so they do not change it)"
bench raw-select --db "$data/immutable.db" --workspace history --results "$results"
bench export --url "$url" --key "$history_key" --pid "$app" --format csv --results "$results"
bench export --url "$url" --key "$history_key" --pid "$app" --format ndjson --results "$results"
bench archive --url "$url" --key "$history_key" --ingest-key "$key" --rate "$archive_rate" --results "$results"
kill $app; wait $app 2>/dev/null || true
Integrity__AnchorPeriodMinutes=1 start_app "$port" "$data"
bench single --url "$url" --key "$key" --requests "${requests[2]}" --concurrency 16 --record-as integrity.ingest_on.c16.events_per_s --results "$results"
kill $app; wait $app 2>/dev/null || true
Integrity__Checkpoints=false start_app "$port" "$data"
bench single --url "$url" --key "$key" --requests "${requests[2]}" --concurrency 16 --record-as integrity.ingest_off.c16.events_per_s --results "$results"

echo "== report"
bench report --results "$results" --out "$out" --command "./bench.sh${1:+ $1}" --scale "$scale"
