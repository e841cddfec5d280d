#!/usr/bin/env bash
# Start the task worker and the web server together; Ctrl-C (or either one dying) stops both.
set -euo pipefail
PY=.venv/bin/python
$PY manage.py run_worker &
WORKER=$!
cleanup() { kill "$WORKER" 2>/dev/null || true; wait "$WORKER" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
$PY manage.py runserver "${BIND:-127.0.0.1:8000}"
