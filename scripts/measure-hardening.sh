#!/usr/bin/env bash
# The hardening issue's memory figures: the Release app's resident set (VmRSS, sampled every 50 ms) when
#  1. 4 webhook peers answer 200 MiB each and 16 deliveries run at once      (growth must be < 50 MB);
#  2. 4 GET /verify of a 600 000-event chain run at once                     (growth must be < 100 MB);
#     the default limit is 2 per workspace (the other 2 answer 429), so it runs twice: default, and with 4 allowed;
#  3. 600 000 events, each of a new actor from a new public address, go through 5 rules (new_country,
#     impossible_travel, repeated_action, high_volume_destructive, off_hours)   (RSS must stay < 400 MB during and
#     after), then the app restarts on that data and evaluates one more event     (< 400 MB while loading).
# Usage: scripts/measure-hardening.sh      (EVENTS=600000 by default; ~20 minutes on 2 cores)
#   SECTIONS=2 scripts/measure-hardening.sh          only the sections listed (default 123)
#   VERIFY_DATA=/tmp/v scripts/measure-hardening.sh  keep section 2's seeded chain there and reuse it on the next run
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/measure-app.sh
events=${EVENTS:-600000}
sections=${SECTIONS:-123}
port=${PORT:-5110}; peer_port=$((port + 10))
build_measure_tools
results=$(mktemp)

stop_app() { kill "$app" 2>/dev/null; wait "$app" 2>/dev/null || true; }

if [[ $sections == *1* ]]; then
echo "== 1. hostile webhook peers"
export Webhooks__AllowedPrivateHosts__0=127.0.0.1
for i in 0 1 2 3; do export "Webhooks__AllowedPorts__$i=$((peer_port + i))"; done
start_app "$port"
bench hostile-webhooks --url "$url" --key "$key" --pid "$app" --peers 4 --peer-port "$peer_port" --results "$results" || failed=1
stop_app; rm -rf "$data"
unset Webhooks__AllowedPrivateHosts__0 Webhooks__AllowedPorts__0 Webhooks__AllowedPorts__1 Webhooks__AllowedPorts__2 Webhooks__AllowedPorts__3
fi

if [[ $sections == *2* ]]; then
echo "== 2. concurrent verifications of $events events"
keep=${VERIFY_DATA:-}
if [ -n "$keep" ] && [ -f "$keep/seeded-$events" ]; then
  data=$(mktemp -d); cp "$keep"/immutable.db* "$data"/
else
  data=$(mktemp -d)
  ConnectionStrings__Default="Data Source=$data/immutable.db" bench seed --data "$data" --events "$events" --alerts 0
  if [ -n "$keep" ]; then mkdir -p "$keep"; cp "$data"/immutable.db* "$keep"/; touch "$keep/seeded-$events"; fi
fi
history_key() { dotnet .cache/measure/app/Immutable.Web.dll keys create --workspace history --label measure 2>/dev/null; }
start_app "$port" "$data"
bench verify-memory --url "$url" --key "$(history_key)" --pid "$app" --concurrency 4 --events "$events" --results "$results" || failed=1
stop_app
export Integrity__MaxConcurrentVerifications=4
start_app "$port" "$data"
bench verify-memory --url "$url" --key "$(history_key)" --pid "$app" --concurrency 4 --events "$events" --results "$results" || failed=1
stop_app; rm -rf "$data"; unset Integrity__MaxConcurrentVerifications
fi

if [[ $sections == *3* ]]; then
echo "== 3. $events distinct actors and addresses through 5 rules"
data=$(mktemp -d)
start_app "$port" "$data"
bench rule-memory --url "$url" --key "$key" --pid "$app" --events "$events" --db "$data/immutable.db" --results "$results" || failed=1
stop_app
start_app "$port" "$data"
bench rule-memory-reload --url "$url" --key "$key" --pid "$app" --db "$data/immutable.db" --results "$results" || failed=1
stop_app
fi

echo "== figures ($results)"
cat "$results"
exit ${failed:-0}
