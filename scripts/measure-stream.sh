#!/usr/bin/env bash
# What one webhook log stream costs ingest (issue 16): single-event ingest at 64 connections without and with a stream,
# alternated (A B A B ...) on one running app so drift in the machine's load hits both alike. The receiver runs in the
# load tool and counts events without parsing them (it stands for another system). Besides throughput it prints the app's
# CPU time per event (user + system, from /proc), which a busy machine disturbs much less than throughput.
#   scripts/measure-stream.sh [ROUNDS=2] [REQUESTS=30000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/measure-app.sh
rounds=${1:-2} requests=${2:-30000}
build_measure_tools >/dev/null
export Webhooks__AllowedPrivateHosts__0=127.0.0.1
start_app "${PORT:-5097}"
results=$(mktemp)
cpu() { awk '{ print $14 + $15 }' "/proc/$app/stat"; }
ticks=$(getconf CLK_TCK)
for round in $(seq 1 "$rounds"); do
  c0=$(cpu)
  bench single --url "$url" --key "$key" --requests "$requests" --concurrency 64 --results "$results" | sed "s/^/round $round, no stream: /"
  c1=$(cpu)
  bench stream-ingest --url "$url" --key "$key" --requests "$requests" --concurrency 64 --receiver-port "$((${PORT:-5097} + 1))" --results "$results" | sed "s/^/round $round, one stream: /"
  c2=$(cpu)
  echo "cpu.without_us_per_event $(awk -v a="$c0" -v b="$c1" -v t="$ticks" -v n="$requests" 'BEGIN { print (b - a) / t / n * 1e6 }')" >>"$results"
  echo "cpu.with_us_per_event $(awk -v a="$c1" -v b="$c2" -v t="$ticks" -v n="$requests" 'BEGIN { print (b - a) / t / n * 1e6 }')" >>"$results"
done
median() { awk -v f="$1" '$1 == f { print $2 }' "$results" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
without=$(median single.c64.events_per_s) with=$(median stream.c64.events_per_s)
awk -v a="$without" -v b="$with" -v r="$rounds" 'BEGIN { printf "median of %d rounds at 64 connections: %.0f events/s without a stream, %.0f with one (%.0f %%)\n", r, a, b, b / a * 100 }'
cw=$(median cpu.without_us_per_event) cs=$(median cpu.with_us_per_event)
awk -v a="$cw" -v b="$cs" 'BEGIN { printf "app CPU per event: %.0f µs without a stream, %.0f µs with one (+%.0f %%)\n", a, b, (b - a) / a * 100 }'
rm -f "$results"
