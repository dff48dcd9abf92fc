#!/usr/bin/env bash
# Quick ingest measurement (issue: foundation): starts the Release app on a fresh data folder and runs
# 10 000 single POSTs over 32 connections, then 100 batches of 100. Prints events/s and latencies.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/measure-app.sh
build_measure_tools
start_app "${PORT:-5099}"
bench single --url "$url" --key "$key" --requests "${REQUESTS:-10000}" --concurrency "${CONCURRENCY:-32}"
bench batch --url "$url" --key "$key" --batches 100 --size 100 --concurrency 4
echo "Synchronous=${Storage__Synchronous:-Normal}; events stored: $(curl -s -H "Authorization: Bearer $key" "$url/api/v1/events?limit=1" | grep -o '"total":[0-9]*')"
