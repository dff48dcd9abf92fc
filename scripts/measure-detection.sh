#!/usr/bin/env bash
# Detection and delivery figures (issues: detection engine, delivery):
#  1. stream evaluation throughput: 100 000 events through a workspace's 20 enabled rules, in process over a real SQLite file;
#  2. alert latency: Release app on a fresh data folder, 1 000 alerting events posted one by one, time from each
#     202 until GET /api/v1/alerts returns the alert (polled every ~1 ms);
#  3. webhooks: a burst of 2 000 alerts to a receiver on 127.0.0.1 (deliveries/s), then 300 at 50/s (latency).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/measure-app.sh
build_measure_tools
bench detection-throughput --events "${EVENTS:-100000}"
export Webhooks__AllowedPrivateHosts__0=127.0.0.1
start_app "${PORT:-5098}"
bench alert-latency --url "$url" --key "$key" --events "${ALERTS:-1000}"
bench webhooks --url "$url" --key "$key" --alerts "${WEBHOOKS:-2000}" --receiver-port "${RECEIVER_PORT:-5097}"
