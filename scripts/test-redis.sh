#!/usr/bin/env bash
# A throwaway Redis server for the tests of several instances (sourced by test.sh; never the machine's own service):
#   redis_test_start  installs Debian's redis-server when missing, starts it on a free 127.0.0.1 port in a temp
#                     folder (no persistence) and exports IMMUTABLE_TEST_REDIS=127.0.0.1:<port>.
#   redis_test_stop   stops it (by its pid file) and deletes the folder; safe to call twice (test.sh traps EXIT).

redis_test_start() {
  if [ ! -x /usr/bin/redis-server ] || [ ! -x /usr/bin/redis-cli ]; then
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null; } \
      || { echo "could not install redis-server" >&2; return 1; }
  fi
  REDIS_TEST_DIR=$(mktemp -d /tmp/immutable-redis.XXXXXX)
  export REDIS_TEST_DIR
  local port; port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  REDIS_TEST_PORT=$port
  /usr/bin/redis-server --port "$port" --bind 127.0.0.1 --dir "$REDIS_TEST_DIR" --save "" --appendonly no \
    --daemonize yes --pidfile "$REDIS_TEST_DIR/redis.pid" --logfile "$REDIS_TEST_DIR/redis.log" \
    || { echo "redis-server did not start" >&2; return 1; }
  local i
  for i in $(seq 1 100); do
    [ "$(/usr/bin/redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
  done
  [ "$(/usr/bin/redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] \
    || { echo "Redis did not answer:" >&2; cat "$REDIS_TEST_DIR/redis.log" >&2; return 1; }
  export IMMUTABLE_TEST_REDIS="127.0.0.1:$port"
  echo "== Redis $(/usr/bin/redis-server --version | awk '{print $3}' | sed 's/v=//') for the tests on 127.0.0.1:$port ($REDIS_TEST_DIR)"
}

redis_test_stop() {
  [ -n "${REDIS_TEST_DIR:-}" ] && [ -d "$REDIS_TEST_DIR" ] || return 0
  if [ -f "$REDIS_TEST_DIR/redis.pid" ]; then
    local pid; pid=$(cat "$REDIS_TEST_DIR/redis.pid")
    kill "$pid" 2>/dev/null
    local i; for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$REDIS_TEST_DIR"
  REDIS_TEST_DIR=""
  unset IMMUTABLE_TEST_REDIS
}
