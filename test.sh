#!/usr/bin/env bash
# Runs every test (unit, integration over the real host and a real SQLite file, crash test with a real child
# process, components with bUnit, the dashboard in Debian's Chromium, the bench's smoke run), then the storage and
# integration suites again on a throwaway PostgreSQL server, and ends with the plain summary line
# "N passed, N failed[, N skipped]" (both runs counted).
set -uo pipefail
cd "$(dirname "$0")"
./scripts/fetch-geo.sh || { echo "could not fetch the GeoLite2 database"; echo "0 passed, 1 failed"; exit 1; }
./scripts/fetch-axe.sh || { echo "could not fetch axe-core for the accessibility checks"; echo "0 passed, 1 failed"; exit 1; }
# Debian packages the tests drive for real: an SMTP server (python3-aiosmtpd, run with Debian's /usr/bin/python3)
# and Chromium for the browser tests (Playwright drives /usr/bin/chromium; it never downloads a browser).
missing=()
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || { echo "could not install ${missing[*]}"; echo "0 passed, 1 failed"; exit 1; }
fi
export IMMUTABLE_GEO_DB="$PWD/.cache/geo/GeoLite2-City.mmdb"

# A throwaway PostgreSQL (Debian's postgresql, installed when missing; initdb/pg_ctl in a temp folder on a free port),
# stopped on exit whatever happens. Tests needing it fail here rather than skip (IMMUTABLE_REQUIRE_POSTGRES=1).
. scripts/test-postgres.sh
. scripts/test-redis.sh
trap 'redis_test_stop; pg_test_stop' EXIT
pg_test_start || { echo "could not start PostgreSQL for the tests"; echo "0 passed, 1 failed"; exit 1; }
export IMMUTABLE_REQUIRE_POSTGRES=1

log=$(mktemp)
# The multi-instance tests (two app processes on one PostgreSQL) skip on SQLite: they run in the PostgreSQL run only.
dotnet test Immutable.Web.sln -c Release --nologo --filter "MultiInstance!=true" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The storage and integration suites ([Trait("Postgres", "run")]) again, every host on PostgreSQL (a database each);
# with a throwaway Redis (Debian's redis-server, installed when missing; a free port, a temp folder) for the tests of
# two instances sharing one database and one Redis (CrossInstanceTests, MultiInstance), stopped on exit.
echo "== storage and integration suites on PostgreSQL"
pg_started=$SECONDS
redis_test_start || { echo "could not start Redis for the tests"; status=1; }
IMMUTABLE_TEST_PROVIDER=Postgres dotnet test Immutable.Tests -c Release --no-build --nologo \
  --filter "Postgres=run&SqliteOnly!=true" 2>&1 | tee -a "$log"
pg_status=${PIPESTATUS[0]}
redis_test_stop
[ "$pg_status" -eq 0 ] || status=$pg_status
echo "PostgreSQL run: $((SECONDS - pg_started)) s"

# Sum the per-assembly summaries: "Passed!  - Failed: 0, Passed: 52, Skipped: 0, Total: 52" or, in the
# detailed format, a "Total tests:" block with "Passed: N" / "Failed: N" / "Skipped: N" lines.
read -r passed failed skipped < <(awk '
  /^(Passed|Failed)! +- +Failed:/ { gsub(/,/, ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } next }
  /^Total tests:/ { block = 1; next }
  block && /^ +Passed: +[0-9]+/ { p += $2 }
  block && /^ +Failed: +[0-9]+/ { f += $2 }
  block && /^ +Skipped: +[0-9]+/ { s += $2 }
  block && /Total time/ { block = 0 }
  END { print p + 0, f + 0, s + 0 }' "$log")
rm -f "$log"

# The bench's smoke run (toy sizes, seconds): every bench step against the real app, so the bench never rots.
# It counts as one test.
echo "== bench smoke: ./bench.sh --smoke"
if PORT=5191 ./bench.sh --smoke > .cache/bench-smoke.log 2>&1; then
  passed=$((passed + 1)); echo "bench smoke: passed"
else
  failed=$((failed + 1)); echo "bench smoke: FAILED"; tail -40 .cache/bench-smoke.log
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # a build or runner failure counts
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
