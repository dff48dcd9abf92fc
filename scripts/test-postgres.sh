#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (sourced by test.sh; never the machine's default cluster):
#   pg_test_start  installs Debian's postgresql when missing, runs initdb as the postgres user in a temp folder,
#                  starts it with pg_ctl on a free 127.0.0.1 port and exports IMMUTABLE_TEST_POSTGRES
#                  (the tests create a database of their own on it per host: t_<guid>).
#   pg_test_stop   stops it (immediate) and deletes the folder; safe to call twice (test.sh traps EXIT).
# Durability is off (fsync, synchronous_commit): the data is thrown away, the speed is the tests'; PG_TEST_DURABLE=1 turns
# fsync and full-page writes back on (the benchmark's server).

pg_test_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

pg_test_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_test_start() {
  if [ -z "$(pg_test_bindir)" ] || [ ! -x "$(pg_test_bindir)/initdb" ]; then
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null; } \
      || { echo "could not install postgresql" >&2; return 1; }
  fi
  local bin; bin=$(pg_test_bindir)
  PG_TEST_DIR=$(mktemp -d /tmp/immutable-pg.XXXXXX)
  export PG_TEST_DIR
  [ "$(id -u)" = 0 ] && chown postgres: "$PG_TEST_DIR"
  # PG_TEST_DURABLE=1 (./bench.sh --postgres): fsync and full-page writes on, synchronous_commit off: the durability class
  # of the SQLite default (Storage:Synchronous=Normal: a commit survives a crash of the app, the last moments may be lost
  # on power loss), so the two providers' figures compare like with like.
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${PG_TEST_DURABLE:-}" = 1 ] && durability="-c synchronous_commit=off"
  local port; port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pg_test_as_owner "$bin/initdb" -D "$PG_TEST_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1 \
    || { echo "initdb failed:" >&2; cat "$PG_TEST_DIR/initdb.log" >&2; return 1; }
  pg_test_as_owner "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 60 \
    -o "-p $port -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 $durability -c max_connections=400" \
    start >/dev/null \
    || { echo "PostgreSQL did not start:" >&2; cat "$PG_TEST_DIR/server.log" >&2; return 1; }
  export IMMUTABLE_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for the tests on 127.0.0.1:$port ($PG_TEST_DIR)"
}

pg_test_stop() {
  [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR" ] || return 0
  pg_test_as_owner "$(pg_test_bindir)/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$PG_TEST_DIR"
  PG_TEST_DIR=""
}
