#!/usr/bin/env bash
# PgBouncer (Debian's `pgbouncer`) in transaction mode in front of the local PostgreSQL, with its
# own configuration in a temporary directory, listening on 127.0.0.1 only (issue 19 item 5;
# docs/operations.md, "A connection pooler"). For `make test-pgbouncer` and for trying it by hand:
#
#   scripts/pgbouncer.sh start     # write the configuration, start it on PGBOUNCER_PORT
#   scripts/pgbouncer.sh stop      # stop it and delete its directory
#   scripts/pgbouncer.sh status    # exit 0 when it answers on PGBOUNCER_PORT
#
# Environment: PG_HOST (127.0.0.1), PG_PORT (5432): the PostgreSQL behind it; PGBOUNCER_PORT
# (6433; 6432 is the Debian service's own); PGBOUNCER_DIR (/tmp/khaibao-pgbouncer-$PORT);
# PGBOUNCER_POOL_SIZE (20 server connections per database and user).
#
# Every database of the server is reachable through it (`* =`), with the client's user name;
# authentication is left to PostgreSQL (auth_type trust here: 127.0.0.1 only, a test setup —
# production uses auth_query or an auth_file with SCRAM secrets, docs/operations.md).
# Idempotent: start on a running one and stop on a stopped one do nothing.
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PGBOUNCER_PORT=${PGBOUNCER_PORT:-6433}
PGBOUNCER_DIR=${PGBOUNCER_DIR:-/tmp/khaibao-pgbouncer-${PGBOUNCER_PORT}}
PGBOUNCER_POOL_SIZE=${PGBOUNCER_POOL_SIZE:-20}

die() { echo "pgbouncer.sh: $*" >&2; exit 1; }
answers() { psql -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U "${PGUSER:-$(id -un)}" -d postgres -XAtqc "SELECT 1" >/dev/null 2>&1; }

# PgBouncer refuses to run as root: it then switches to the postgres user (-u).
if [ "$(id -u)" = 0 ]; then RUN_USER=postgres; else RUN_USER=; fi

start() {
  command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || die "pgbouncer is not installed (make setup installs it; or apt-get install pgbouncer)"
  local bin; bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  if answers; then echo "pgbouncer: already answering on 127.0.0.1:${PGBOUNCER_PORT}"; return; fi
  mkdir -p "$PGBOUNCER_DIR"
  local user; user=${PGUSER:-$(id -un)}
  cat > "$PGBOUNCER_DIR/pgbouncer.ini" <<EOF
[databases]
* = host=${PG_HOST} port=${PG_PORT}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${PGBOUNCER_PORT}
unix_socket_dir =
auth_type = trust
auth_file = ${PGBOUNCER_DIR}/users.txt
admin_users = ${user}
; The application keeps no session state between transactions: no session-level SET, advisory
; lock or LISTEN (DB_TIMEOUTS_AT_CONNECT=0: the time limits come from ALTER ROLE … SET instead
; of startup options, which PgBouncer refuses; DB_PREPARED_STATEMENTS=0 before PgBouncer 1.21).
pool_mode = transaction
default_pool_size = ${PGBOUNCER_POOL_SIZE}
max_client_conn = 1000
max_db_connections = 0
server_reset_query =
; psycopg sends these at connect time; PgBouncer need not track them.
ignore_startup_parameters = extra_float_digits
server_idle_timeout = 60
logfile = ${PGBOUNCER_DIR}/pgbouncer.log
pidfile = ${PGBOUNCER_DIR}/pgbouncer.pid
EOF
  printf '"%s" ""\n' "$user" > "$PGBOUNCER_DIR/users.txt"
  if [ -n "$RUN_USER" ]; then
    chown -R "$RUN_USER" "$PGBOUNCER_DIR"
    "$bin" -d -u "$RUN_USER" "$PGBOUNCER_DIR/pgbouncer.ini"
  else
    "$bin" -d "$PGBOUNCER_DIR/pgbouncer.ini"
  fi
  for _ in $(seq 1 50); do
    if answers; then echo "pgbouncer: transaction pooling on 127.0.0.1:${PGBOUNCER_PORT} → ${PG_HOST}:${PG_PORT} ($("$bin" --version | head -n1))"; return; fi
    sleep 0.1
  done
  cat "$PGBOUNCER_DIR/pgbouncer.log" >&2 || true
  die "it did not answer on 127.0.0.1:${PGBOUNCER_PORT}"
}

stop() {
  local pidfile="$PGBOUNCER_DIR/pgbouncer.pid"
  if [ -f "$pidfile" ]; then
    local pid; pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -INT "$pid"  # SIGINT: stop at once (SIGTERM would wait for clients to leave)
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -rf "$PGBOUNCER_DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  *) die "usage: $0 start|stop|status" ;;
esac
