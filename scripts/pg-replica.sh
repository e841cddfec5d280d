#!/usr/bin/env bash
# A real streaming read replica of the local PostgreSQL, for the replica tests (pytest -m replica)
# and for trying DATABASE_REPLICA_URL by hand. docs/scaling.md, issue 9.
#
#   scripts/pg-replica.sh start    # base backup of the primary (pg_basebackup -R) into a temp
#                                  # directory, started as a hot standby on REPLICA_PORT
#   scripts/pg-replica.sh stop     # stop it and delete its directory
#   scripts/pg-replica.sh status   # exit 0 when a standby answers on REPLICA_PORT
#
# Environment: PG_HOST (127.0.0.1), PG_PORT (5432), PG_USER (root): the primary;
# REPLICA_PORT (5433); REPLICA_DIR (/tmp/khaibao-pg-replica-$REPLICA_PORT).
#
# The primary must have wal_level replica (or logical) and max_wal_senders > 0 (both need a
# restart to change, so this script only checks them). It must accept replication connections
# from 127.0.0.1 for PG_USER: when it does not, and this script runs as root on the database
# machine, one line is appended to the primary's pg_hba.conf — with the same method the primary
# already uses for ordinary connections from 127.0.0.1 — and the configuration is reloaded.
# Nothing else on the primary is changed, except a physical replication slot named
# khaibao_replica_<port>: without it a busy primary may recycle the WAL the standby still needs
# between the end of the base backup and the start of streaming. `stop` drops the slot, and
# `start` drops a stale one left by a crash, so a stopped replica does not make the primary keep
# WAL for long (set max_slot_wal_keep_size on the primary for a hard bound).
#
# Idempotent: start on a running replica and stop on a stopped one do nothing. Concurrent calls
# (parallel test workers) are serialised by a lock file.
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-root}
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_DIR=${REPLICA_DIR:-/tmp/khaibao-pg-replica-${REPLICA_PORT}}
LOCK_FILE=/tmp/khaibao-pg-replica-${REPLICA_PORT}.lock
SLOT=khaibao_replica_${REPLICA_PORT}
# Beside the directory, not in it: pg_basebackup wants an empty directory, and an interrupted
# backup must still be recognised as ours.
MARKER="${REPLICA_DIR}.khaibao-replica"
HBA_MARK="# khaibao scripts/pg-replica.sh: replication from 127.0.0.1"

die() { echo "pg-replica: $*" >&2; exit 1; }
primary_sql() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -XAtqc "$1"; }
replica_sql() { psql -h 127.0.0.1 -p "$REPLICA_PORT" -U "$PG_USER" -d postgres -XAtqc "$1"; }

# PostgreSQL refuses to run as root: when we are root, the cluster belongs to the postgres user.
if [ "$(id -u)" = 0 ]; then
  RUN_AS=(runuser -u postgres --)
  OWNER=postgres
else
  RUN_AS=()
  OWNER=$(id -un)
fi

bin_dir() {
  local major
  major=$(( $(primary_sql "SHOW server_version_num") / 10000 ))
  local dir="/usr/lib/postgresql/${major}/bin"
  [ -x "$dir/pg_ctl" ] || dir=$(dirname "$(command -v pg_ctl || true)")
  [ -x "$dir/pg_ctl" ] || die "pg_ctl for PostgreSQL ${major} not found"
  echo "$dir"
}

replica_running() {
  [ -f "$REPLICA_DIR/postmaster.pid" ] && pg_isready -h 127.0.0.1 -p "$REPLICA_PORT" -q \
    && [ "$(replica_sql 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]
}

check_primary() {
  pg_isready -h "$PG_HOST" -p "$PG_PORT" -q || die "the primary at ${PG_HOST}:${PG_PORT} is not running"
  local wal_level senders
  wal_level=$(primary_sql "SHOW wal_level")
  senders=$(primary_sql "SHOW max_wal_senders")
  case "$wal_level" in replica|logical) ;; *) die "wal_level is '$wal_level' on the primary; set it to 'replica' and restart it" ;; esac
  [ "$senders" -gt 0 ] || die "max_wal_senders is 0 on the primary; raise it and restart it"
}

replication_allowed() {
  psql "host=$PG_HOST port=$PG_PORT user=$PG_USER dbname=replication replication=true" -XAtqc "IDENTIFY_SYSTEM" \
    >/dev/null 2>&1
}

allow_replication() {
  replication_allowed && return 0
  [ "$(id -u)" = 0 ] || die "the primary refuses replication connections from 127.0.0.1 for ${PG_USER}; add to pg_hba.conf: host replication ${PG_USER} 127.0.0.1/32 <method>"
  local hba method
  hba=$(primary_sql "SHOW hba_file")
  method=$(primary_sql "SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host' AND 'all' = ANY(database)
                        AND (address = '127.0.0.1' OR address = 'all') AND error IS NULL ORDER BY line_number LIMIT 1")
  [ -n "$method" ] || die "no pg_hba.conf rule for ordinary connections from 127.0.0.1 to copy the method from"
  if ! grep -qF "$HBA_MARK" "$hba"; then
    printf '%s\nhost replication %s 127.0.0.1/32 %s\n' "$HBA_MARK" "$PG_USER" "$method" >> "$hba"
    echo "pg-replica: allowed replication from 127.0.0.1 for ${PG_USER} (${method}) in ${hba}"
  fi
  primary_sql "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 1 20); do replication_allowed && return 0; sleep 0.25; done
  die "the primary still refuses replication connections after editing ${hba}"
}

drop_slot() {
  # Only once no walsender uses it (the standby's walsender ends shortly after the standby stops).
  for _ in $(seq 1 40); do
    [ "$(primary_sql "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '${SLOT}' AND active")" = 0 ] && break
    sleep 0.25
  done
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
               WHERE slot_name = '${SLOT}' AND NOT active" >/dev/null
}

remove_dir() {
  # Only ever delete a directory this script made.
  if [ -d "$REPLICA_DIR" ]; then
    [ -f "$MARKER" ] || [ -z "$(ls -A "$REPLICA_DIR")" ] \
      || die "$REPLICA_DIR exists and was not made by this script; remove it or set REPLICA_DIR"
    rm -rf "$REPLICA_DIR"
  fi
  rm -f "$MARKER"
}

start() {
  if replica_running; then
    if [ "$(replica_sql "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" = streaming ]; then
      echo "pg-replica: already running on port ${REPLICA_PORT} (${REPLICA_DIR})"
      return 0
    fi
    echo "pg-replica: the standby on port ${REPLICA_PORT} is not streaming; making it again"
    stop
  fi
  pg_isready -h 127.0.0.1 -p "$REPLICA_PORT" -q && die "port ${REPLICA_PORT} is taken by another server"
  check_primary
  allow_replication
  local bin
  bin=$(bin_dir)
  [ -f "$REPLICA_DIR/postmaster.pid" ] && "${RUN_AS[@]}" "$bin/pg_ctl" -D "$REPLICA_DIR" -m immediate stop >/dev/null 2>&1 || true
  remove_dir
  drop_slot
  touch "$MARKER"
  mkdir -p "$REPLICA_DIR"
  chmod 700 "$REPLICA_DIR"
  chown "$OWNER" "$REPLICA_DIR"
  echo "pg-replica: base backup of ${PG_HOST}:${PG_PORT} into ${REPLICA_DIR}"
  # -R writes standby.signal, primary_conninfo and primary_slot_name; -X stream copies the WAL
  # written meanwhile; -C -S creates the slot that keeps the WAL from here until streaming starts.
  "${RUN_AS[@]}" "$bin/pg_basebackup" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -D "$REPLICA_DIR" \
    -R -X stream -c fast --no-password -C -S "$SLOT"
  # Debian keeps the configuration outside the data directory, so the copy has none: write a
  # minimal one. A hot standby needs these limits at least as high as on the primary.
  local conf="$REPLICA_DIR/postgresql.conf"
  {
    echo "port = ${REPLICA_PORT}"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '${REPLICA_DIR}'"
    echo "hot_standby = on"
    echo "hot_standby_feedback = on"
    echo "shared_buffers = '32MB'"
    for name in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
                max_locks_per_transaction; do
      echo "${name} = $(primary_sql "SHOW ${name}")"
    done
    echo "logging_collector = off"
  } | "${RUN_AS[@]}" tee "$conf" >/dev/null
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | "${RUN_AS[@]}" tee "$REPLICA_DIR/pg_hba.conf" >/dev/null
  "${RUN_AS[@]}" touch "$REPLICA_DIR/pg_ident.conf"
  # 9>&-: the server must not inherit the lock, or it would hold it for as long as it runs.
  "${RUN_AS[@]}" "$bin/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/replica.log" -w -t 60 start >/dev/null 9>&-
  for _ in $(seq 1 60); do
    if [ "$(replica_sql "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" = streaming ]; then
      echo "pg-replica: streaming from ${PG_HOST}:${PG_PORT}, read-only on 127.0.0.1:${REPLICA_PORT}"
      return 0
    fi
    sleep 0.5
  done
  tail -20 "$REPLICA_DIR/replica.log" >&2 || true
  die "the replica started but is not streaming"
}

stop() {
  if [ -f "$REPLICA_DIR/postmaster.pid" ]; then
    "${RUN_AS[@]}" "$(bin_dir)/pg_ctl" -D "$REPLICA_DIR" -m fast -w stop >/dev/null
    echo "pg-replica: stopped"
  fi
  remove_dir
  pg_isready -h "$PG_HOST" -p "$PG_PORT" -q && drop_slot
}

exec 9>"$LOCK_FILE"
flock 9
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) replica_running ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
