"""The worker outlives its database: its connections are terminated under it (as a PostgreSQL
restart does), it logs one line, reconnects and runs the next periodic job; only a signal stops it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from khaibao.core.models import ScheduledRun, WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "DEBUG": "1", "WORKER_HEARTBEAT_SECONDS": "1",
           "WORKER_BACKOFF_MAX_SECONDS": "2", "DJANGO_SETTINGS_MODULE": "khaibao.settings",
           # Persistent connections, as in production: the blip hits connections the worker holds.
           "DB_CONN_MAX_AGE": "600"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--tick", "0.5", "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _wait_for(what: str, check: Any, proc: subprocess.Popen[bytes], log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the worker exited ({proc.returncode}) while waiting for {what}:\n{log.read_text()}"
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()}")


def _beat_after(moment: datetime) -> bool:
    return WorkerHeartbeat.objects.filter(beat_at__gt=moment, alive_at__gt=moment).exists()


def _periodic_job_ran_after(moment: datetime) -> bool:
    names = [name for name, _ in settings.PERIODIC_TASKS]
    return DBTaskResult.objects.filter(
        task_path__in=names, status=TaskResultStatus.SUCCESSFUL, enqueued_at__gt=moment
    ).exists() and ScheduledRun.objects.filter(enqueued_at__gt=moment).exists()


def _terminate_other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def _assert_it_yields_the_cpu(pid: int, log: Path) -> None:
    # WORKER_NICE (10 by default) below the web servers: its nice value and, leading the session
    # it was started in, its session's autogroup (core/cpu_priority.py).
    nice = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    assert nice == min(19, os.nice(0) + 10)
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():  # a kernel with autogroup scheduling
        assert autogroup.read_text().split()[-2:] == ["nice", "10"]
    assert f"started (nice {nice}" in log.read_text()


def test_it_survives_its_connections_being_terminated_and_runs_the_next_periodic_job(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    proc = _start_worker(log)
    try:
        _wait_for("the first heartbeat", lambda: _beat_after(timezone.now().replace(year=2000)), proc, log, 60)
        _assert_it_yields_the_cpu(proc.pid, log)
        killed_at = timezone.now()
        assert _terminate_other_backends() >= 1
        for _ in range(3):  # more blips while it reconnects and backs off
            time.sleep(0.7)
            killed_at = timezone.now()
            _terminate_other_backends()
        _wait_for("a heartbeat after the blips", lambda: _beat_after(killed_at), proc, log)
        _wait_for("a periodic job after the blips", lambda: _periodic_job_ran_after(killed_at), proc, log)
        records = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", log.read_text())
        worker_lines = [r for r in records if "trying again in" in r]
        assert worker_lines  # the failure was logged …
        assert not any("Traceback" in r for r in worker_lines)  # … as one line, not a traceback
        # The only tracebacks are those of tasks the blip made fail (django-tasks logs each failed
        # task with its exception): none from the worker's own loop.
        assert all("state=FAILED" in r.splitlines()[0] for r in records if "Traceback" in r)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    # Only a signal stops it, and it stops cleanly.
    assert proc.wait(20) == 0, log.read_text()
