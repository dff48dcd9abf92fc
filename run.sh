#!/usr/bin/env bash
# Runs Immutable on its embedded defaults: SQLite file under data/, GeoLite2 City under .cache/geo/,
# serving on http://127.0.0.1:5080 (override with --urls, ASPNETCORE_URLS or ASPNETCORE_HTTP_PORTS). Extra arguments go to the app,
# e.g. ./run.sh --urls http://127.0.0.1:6000, or ./run.sh keys create --workspace acme --label ci
set -euo pipefail
cd "$(dirname "$0")"
./scripts/fetch-geo.sh
dotnet build Immutable.Web/Immutable.Web.csproj -c Release -o .cache/app --nologo -v quiet >&2
export Geo__DatabasePath="${Geo__DatabasePath:-$PWD/.cache/geo/GeoLite2-City.mmdb}"
if [ "${1:-}" != "keys" ] && [ "${1:-}" != "members" ]; then
  echo "Dashboard: open the app's address in a browser. On the first run nobody can sign in yet: the app prints a" >&2
  echo "one-time setup link below (\"First run\"); open it to create the owner account, then create API keys in Settings." >&2
fi
# Migrations are applied at start-up (and by the keys command) to the SQLite file in data/.
exec dotnet .cache/app/Immutable.Web.dll "$@"
