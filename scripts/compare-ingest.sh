#!/usr/bin/env bash
# Ingest figures of two commits on this machine, interleaved (A B A B ...) so drift in the machine's load hits both alike:
#   scripts/compare-ingest.sh BEFORE_COMMIT AFTER_COMMIT [ROUNDS=2] [EVENTS=100000]
# Each run: a fresh data folder seeded with EVENTS events through that build's own chain writer, the Release app with rate
# limits lifted, then single-event ingest at 1/16/64 connections and batch ingest (the same steps and sizes as ./bench.sh).
# Extra environment for one side: BEFORE_ENV / AFTER_ENV (e.g. BEFORE_ENV="DOTNET_gcServer=0").
set -euo pipefail
cd "$(dirname "$0")/.."
before=$1 after=$2 rounds=${3:-2} events=${4:-100000}
./scripts/fetch-geo.sh >/dev/null
root=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; for w in "$root"/src-*; do git worktree remove --force "$w" 2>/dev/null || true; done; rm -rf "$root"' EXIT
for side in before after; do
  commit=${!side}
  git worktree add --detach "$root/src-$side" "$commit" >/dev/null 2>&1
  dotnet build "$root/src-$side/Immutable.Web/Immutable.Web.csproj" -c Release -o "$root/$side/app" --nologo -v quiet >/dev/null
  dotnet build "$root/src-$side/Immutable.Bench/Immutable.Bench.csproj" -c Release -o "$root/$side/bench" --nologo -v quiet >/dev/null
done
geo="$PWD/.cache/geo/GeoLite2-City.mmdb"
port=5191
for round in $(seq 1 "$rounds"); do
  for side in before after; do
    envs=BEFORE_ENV; [ "$side" = after ] && envs=AFTER_ENV
    data=$(mktemp -d)
    results="$root/$side.results"
    run() { env ${!envs:-} ConnectionStrings__Default="Data Source=$data/immutable.db" Geo__DatabasePath="$geo" \
      RateLimiting__PermitsPerSecond=10000000 RateLimiting__Burst=10000000 Logging__LogLevel__Default=Warning "$@"; }
    run dotnet "$root/$side/bench/Immutable.Bench.dll" seed --data "$data" --events "$events" --alerts 1000 >/dev/null
    key=$(run dotnet "$root/$side/app/Immutable.Web.dll" keys create --workspace bench --label compare 2>"$root/$side.keys.err" || true)
    [ -n "$key" ] || { echo "$side: keys create failed: $(cat "$root/$side.keys.err")" >&2; exit 1; }
    # Builds with signed checkpoints sign the seeded history first, as ./bench.sh does: otherwise their worker signs
    # (and so re-reads and re-hashes) all EVENTS seeded events during the figures, which the other side never does.
    if [ -f "$root/src-$side/Immutable.Web/Integrity/IntegrityCommand.cs" ]; then
      for step in checkpoint anchor; do run dotnet "$root/$side/app/Immutable.Web.dll" integrity "$step" --workspace history >/dev/null; done
    fi
    # exec: $! must be the app itself, so that kill stops it and frees the port for the other side.
    ( exec env ${!envs:-} ConnectionStrings__Default="Data Source=$data/immutable.db" Geo__DatabasePath="$geo" \
      RateLimiting__PermitsPerSecond=10000000 RateLimiting__Burst=10000000 Logging__LogLevel__Default=Warning \
      dotnet "$root/$side/app/Immutable.Web.dll" --urls "http://127.0.0.1:$port" ) >"$root/$side.app.log" 2>&1 &
    app=$!
    ready=no
    for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && { ready=yes; break; }; sleep 0.2; done
    [ "$ready" = yes ] || { echo "$side: the app did not become ready; its log:" >&2; tail -20 "$root/$side.app.log" >&2; exit 1; }
    for spec in "1 3000" "16 20000" "64 30000"; do
      set -- $spec
      run dotnet "$root/$side/bench/Immutable.Bench.dll" single --url "http://127.0.0.1:$port" --key "$key" --requests "$2" --concurrency "$1" --results "$results" | sed "s/^/$side round $round: /"
    done
    run dotnet "$root/$side/bench/Immutable.Bench.dll" batch --url "http://127.0.0.1:$port" --key "$key" --batches 300 --size 100 --concurrency 4 --results "$results" | sed "s/^/$side round $round: /"
    kill $app; wait $app 2>/dev/null || true
    rm -rf "$data"
  done
done
echo
echo "median over $rounds rounds (events/s)          before     after   change"
for figure in single.c1.events_per_s single.c16.events_per_s single.c64.events_per_s batch.events_per_s; do
  b=$(awk -v f=$figure '$1 == f { print $2 }' "$root/before.results" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
  a=$(awk -v f=$figure '$1 == f { print $2 }' "$root/after.results" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
  awk -v f=$figure -v b="$b" -v a="$a" 'BEGIN { printf "%-40s %8.0f  %8.0f  %+6.1f %%\n", f, b, a, (a - b) / b * 100 }'
done
