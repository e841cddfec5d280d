"""Every request is bounded (PostgreSQL): with a table locked by another session, a daily update
answers 503 + Retry-After in the API's format within the lock bound and frees its process, and
/healthz still answers at once. The web entry point gets the short limits, commands the long ones."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from khaibao.core.tasks import worker_heartbeat

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def web_limits() -> Iterator[dict[str, int]]:
    """This test process's connection with the limits a web process gets (khaibao/wsgi.py)."""
    limits = settings.DB_TIMEOUTS_MS["web"]
    options = connection.settings_dict.setdefault("OPTIONS", {})
    before = options.get("options")
    options["options"] = " ".join(f"-c {name}={value}" for name, value in limits.items())
    connection.close()
    yield limits
    if before is None:
        options.pop("options", None)
    else:
        options["options"] = before
    connection.close()


class Lock:
    """Another session holding a table lock, as in the incident (issue 22), for `hold` seconds at
    most: without time limits the request would wait that long, so a regression fails the test
    instead of hanging it."""

    def __init__(self) -> None:
        self.conn = psycopg.connect(_url(), autocommit=False)
        self.timer: threading.Timer | None = None

    def take(self, table: str, mode: str, hold: float = 12.0) -> None:
        self.conn.execute(f"LOCK TABLE {table} IN {mode} MODE")
        self.timer = threading.Timer(hold, self.release)
        self.timer.start()

    def release(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.release()
        self.conn.close()


@pytest.fixture
def lock() -> Iterator[Lock]:
    held = Lock()
    yield held
    held.close()


def test_it_answers_503_within_the_lock_bound_and_healthz_answers(
    world: Any, api: Any, web_limits: dict[str, int], lock: Lock
) -> None:
    worker_heartbeat.call("w1")
    client = api.as_(world.lan)
    client.client = Client(raise_request_exception=False)
    bound = web_limits["lock_timeout"] / 1000
    assert client.get(f"/people/{world.lan_self.id}").status_code == 200  # warm: URLs, schemas, connection
    lock.take("monitoring_personstatus", "EXCLUSIVE")

    with override_settings(DEBUG=False):
        started = time.monotonic()
        resp = client.put(
            f"/people/{world.lan_self.id}/updates/{date.today().isoformat()}",
            {"symptoms": [], "temperature": 36.6, "feeling": "well"},
        )
        took = time.monotonic() - started
        health_started = time.monotonic()
        health = Client().get("/healthz")
        health_took = time.monotonic() - health_started

    assert resp.status_code == 503, resp.content
    assert resp["Retry-After"] == str(settings.DB_UNAVAILABLE_RETRY_AFTER_SECONDS)
    assert resp.json()["error"]["code"] == "unavailable"
    assert bound - 0.5 <= took < bound + 2.0  # it waited for the lock, then gave up within the bound
    assert health.status_code == 200, health.content  # /healthz touches no table requests write
    assert health_took < 1.0
    # The process is free again: the next request is served at once.
    assert client.get(f"/people/{world.lan_self.id}").status_code == 200


def test_it_bounds_healthz_by_its_own_limit(db: Any, settings: Any, lock: Lock) -> None:
    worker_heartbeat.call("w1")
    settings.HEALTHZ_DB_TIMEOUT_MS = 500
    lock.take("core_workerheartbeat", "ACCESS EXCLUSIVE", hold=5)
    started = time.monotonic()
    resp = Client().get("/healthz")
    took = time.monotonic() - started
    assert resp.status_code == 503
    assert resp.json()["database"] == "slow"
    assert took < 2.0


def _show(module: str) -> list[str]:
    """The limits a fresh process started through `module` gets on its connections."""
    code = (
        f"import {module}\n"
        "import django\n"
        "django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    for name in ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'application_name'):\n"
        "        c.execute('SHOW ' + name)\n"
        "        print(c.fetchone()[0])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DB_TIMEOUT_PROFILE"}
    env.update({"DATABASE_URL": _url(), "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "khaibao.settings"})
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_it_gives_web_processes_the_short_limits_and_jobs_the_long_ones(db: Any) -> None:
    assert _show("khaibao.wsgi") == ["5s", "2s", "30s", "khaibao-web"]
    assert _show("khaibao.settings") == ["10min", "30s", "5min", "khaibao-jobs"]
