# Shared by the measure-*.sh scripts (sourced, not run): build the Release app and the load tool, and start the app
# on a fresh data folder with rate limits lifted. After start_app PORT [DATA]: $url, $key (workspace "bench"), $app (pid);
# the app and its data folder go away on exit.

build_measure_tools() {
  ./scripts/fetch-geo.sh
  dotnet build Immutable.Web/Immutable.Web.csproj -c Release -o .cache/measure/app --nologo -v quiet
  dotnet build Immutable.Bench/Immutable.Bench.csproj -c Release -o .cache/measure/bench --nologo -v quiet
}

bench() { dotnet .cache/measure/bench/Immutable.Bench.dll "$@"; }

start_app() {
  local port=$1
  data=${2:-$(mktemp -d)}
  export ConnectionStrings__Default="Data Source=$data/immutable.db"
  export Geo__DatabasePath="$PWD/.cache/geo/GeoLite2-City.mmdb"
  export RateLimiting__PermitsPerSecond=10000000 RateLimiting__Burst=10000000
  export Logging__LogLevel__Default=Warning
  key=$(dotnet .cache/measure/app/Immutable.Web.dll keys create --workspace bench --label measure 2>/dev/null)
  url="http://127.0.0.1:$port"
  dotnet .cache/measure/app/Immutable.Web.dll --urls "$url" &
  app=$!
  trap 'kill $app 2>/dev/null || true; rm -rf "$data"' EXIT
  for _ in $(seq 1 100); do curl -sf "$url/readyz" >/dev/null && return 0; sleep 0.2; done
  echo "the app did not become ready on $url" >&2
  return 1
}
