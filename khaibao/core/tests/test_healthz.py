"""/healthz: JSON, 200 when the database answers and a worker beat recently, else 503."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.db import OperationalError

from khaibao.core.tasks import worker_heartbeat


def test_it_is_unhealthy_before_any_worker_beat(client, db):
    resp = client.get("/healthz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["database"] == "ok"
    assert body["worker"] == "never_seen"
    assert "no-cache" in resp["Cache-Control"]


def test_it_is_healthy_after_a_heartbeat(client, db):
    worker_heartbeat.call("w1")

    resp = client.get("/healthz")

    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"
    assert resp.json()["worker"] == "ok"


def test_it_turns_unhealthy_when_the_heartbeat_gets_old(client, db, settings, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    worker_heartbeat.call("w1")
    time_machine.shift(timedelta(seconds=settings.WORKER_STALE_SECONDS + 1))

    resp = client.get("/healthz")

    assert resp.status_code == 503
    assert resp.json()["worker"] == "stale"


def test_it_is_unhealthy_when_the_database_fails(client, db):
    worker_heartbeat.call("w1")
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("connection refused")

    with mock.patch("khaibao.core.selectors.connection", broken):
        resp = client.get("/healthz")

    assert resp.status_code == 503
    assert resp.json()["database"] == "error"
    assert "connection refused" not in resp.content.decode()  # no internals leak
