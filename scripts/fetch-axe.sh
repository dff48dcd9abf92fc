#!/usr/bin/env bash
# Fetches axe-core (the accessibility rules engine the browser tests inject into each dashboard page) from the npm
# registry into .cache/axe/axe.min.js (git-ignored). Pinned; idempotent (does nothing when that version is cached).
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.14.1
target=.cache/axe/axe.min.js
marker=.cache/axe/axe.source
if [ -s "$target" ] && [ "$(cat "$marker" 2>/dev/null)" = "npm:axe-core@$version" ]; then exit 0; fi
mkdir -p .cache/axe
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "axe-core@$version" --silent >/dev/null)
tar -xzf "$tmp"/axe-core-*.tgz -C "$tmp" package/axe.min.js
mv -f "$tmp/package/axe.min.js" "$target"
echo "npm:axe-core@$version" > "$marker"
echo "axe-core $version at $target" >&2
