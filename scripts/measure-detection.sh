#!/usr/bin/env bash
# Detection figures (issue: detection engine):
#  1. stream evaluation throughput: 100 000 events through a workspace's 20 enabled rules, in process over a real SQLite file;
#  2./3. alert latency and webhook delivery: Release app on a fresh data folder, 1 000 alerting events posted one by one, time from each
#     202 until GET /api/v1/alerts returns the alert (polled every ~1 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-geo.sh
dotnet build Immutable.Web/Immutable.Web.csproj -c Release -o .cache/measure/app --nologo -v quiet
dotnet build Immutable.Bench/Immutable.Bench.csproj -c Release -o .cache/measure/bench --nologo -v quiet
dotnet .cache/measure/bench/Immutable.Bench.dll detection-throughput --events "${EVENTS:-100000}"

data=$(mktemp -d)
port=${PORT:-5098}
export ConnectionStrings__Default="Data Source=$data/immutable.db"
export Geo__DatabasePath="$PWD/.cache/geo/GeoLite2-City.mmdb"
export RateLimiting__PermitsPerSecond=10000000 RateLimiting__Burst=10000000
export Logging__LogLevel__Default=Warning
export Webhooks__AllowedPrivateHosts__0=127.0.0.1
key=$(dotnet .cache/measure/app/Immutable.Web.dll keys create --workspace bench --label measure 2>/dev/null)
dotnet .cache/measure/app/Immutable.Web.dll --urls "http://127.0.0.1:$port" &
app=$!
trap 'kill $app 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
dotnet .cache/measure/bench/Immutable.Bench.dll alert-latency --url "http://127.0.0.1:$port" --key "$key" --events "${ALERTS:-1000}"
dotnet .cache/measure/bench/Immutable.Bench.dll webhooks --url "http://127.0.0.1:$port" --key "$key" --alerts "${WEBHOOKS:-2000}" --receiver-port "${RECEIVER_PORT:-5097}"
