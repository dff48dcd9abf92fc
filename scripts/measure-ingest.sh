#!/usr/bin/env bash
# Quick ingest measurement (issue: foundation): starts the Release app on a fresh data folder and runs
# 10 000 single POSTs over 32 connections, then 100 batches of 100. Prints events/s and latencies.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-geo.sh
dotnet build Immutable.Web/Immutable.Web.csproj -c Release -o .cache/measure/app --nologo -v quiet
dotnet build Immutable.Bench/Immutable.Bench.csproj -c Release -o .cache/measure/bench --nologo -v quiet
data=$(mktemp -d)
port=${PORT:-5099}
export ConnectionStrings__Default="Data Source=$data/immutable.db"
export Geo__DatabasePath="$PWD/.cache/geo/GeoLite2-City.mmdb"
export RateLimiting__PermitsPerSecond=10000000 RateLimiting__Burst=10000000
export Logging__LogLevel__Default=Warning
key=$(dotnet .cache/measure/app/Immutable.Web.dll keys create --workspace bench --label measure 2>/dev/null)
dotnet .cache/measure/app/Immutable.Web.dll --urls "http://127.0.0.1:$port" &
app=$!
trap 'kill $app 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
dotnet .cache/measure/bench/Immutable.Bench.dll single --url "http://127.0.0.1:$port" --key "$key" --requests "${REQUESTS:-10000}" --concurrency "${CONCURRENCY:-32}"
dotnet .cache/measure/bench/Immutable.Bench.dll batch --url "http://127.0.0.1:$port" --key "$key" --batches 100 --size 100 --concurrency 4
echo "Synchronous=${Storage__Synchronous:-Normal}; events stored: $(curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1/events?limit=1" | grep -o '"total":[0-9]*')"
