#!/usr/bin/env bash
# Monitor figure (issue: monitors): one monitor (query_count, 1-day timeframe) evaluated over 1 000 000 stored query
# events of 1 000 users, in process over a real SQLite file; prints time, observations and memory.
# PER_PASS=1000000 evaluates in one pass (faster, more memory).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build Immutable.Bench/Immutable.Bench.csproj -c Release -o .cache/measure/bench --nologo -v quiet
dotnet .cache/measure/bench/Immutable.Bench.dll monitor-eval --events "${EVENTS:-1000000}" --users "${USERS:-1000}" --per-pass "${PER_PASS:-250000}"
