#!/usr/bin/env bash
# Start the web server and the task worker together; Ctrl-C (or either one dying) stops both.
#
# Both run in the background and this script waits on them, so a signal reaches the trap at once
# (bash defers traps while a foreground child runs, which would leave runserver behind when make
# or a supervisor sends SIGTERM instead of a terminal sending Ctrl-C to the whole group).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BIND=${BIND:-127.0.0.1:8000}

$PY manage.py run_worker &
WORKER=$!
$PY manage.py runserver "$BIND" &
WEB=$!

# If whoever started us goes away without telling us (make killed by a supervisor or `timeout`),
# stop too rather than leave an orphaned server holding the port.
PARENT=$PPID
( while kill -0 "$PARENT" 2>/dev/null; do sleep 1; done; kill -TERM $$ 2>/dev/null ) &
WATCHER=$!

stop() {
  trap - INT TERM EXIT
  kill -TERM "$WEB" "$WORKER" "$WATCHER" 2>/dev/null
  wait "$WEB" "$WORKER" "$WATCHER" 2>/dev/null
  echo "Stopped the web server and the task worker."
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

echo "Khai Báo: http://${BIND}/  (worker pid $WORKER, web pid $WEB) — Ctrl-C stops both."
# Whichever stops first (a crash, a port already in use) takes the other one down with it.
wait -n "$WEB" "$WORKER"
