"""/healthz: JSON, 200 when the database answers and a worker beat recently, else 503."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.db import OperationalError
from django.test import Client, override_settings
from django_tasks_db.models import DBTaskResult

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

    with mock.patch("khaibao.core.health.connection", broken), \
            mock.patch("khaibao.core.health.transaction.atomic"):
        resp = client.get("/healthz")

    assert resp.status_code == 503
    assert resp.json()["database"] == "error"
    assert "connection refused" not in resp.content.decode()  # no internals leak


# --- Health that tells the truth (issue 22) ---------------------------------------------------


def test_it_is_unhealthy_when_pages_cannot_render(client, db, settings, tmp_path):
    """No static files manifest (collectstatic not run): every page fails, and so must /healthz."""
    worker_heartbeat.call("w1")
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    with override_settings(DEBUG=False):
        page = Client(raise_request_exception=False).get("/")
        resp = client.get("/healthz?detail")

    assert page.status_code == 500
    assert resp.status_code == 503
    assert resp.json()["app"] == "error"
    assert resp.json()["database"] == "ok"
    # …while a load balancer's probe would still see the database: it is the app that is broken.
    with override_settings(DEBUG=False):
        assert client.get("/healthz?web").status_code == 503


def test_it_is_unhealthy_when_tasks_wait_too_long(client, db, settings, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    worker_heartbeat.enqueue("w1")  # waits for a worker that never comes
    time_machine.shift(timedelta(seconds=settings.HEALTH_MAX_BACKLOG_SECONDS + 1))
    worker_heartbeat.call("w1")  # a heartbeat from a worker that is alive but swamped

    resp = client.get("/healthz?detail")

    assert resp.status_code == 503
    body = resp.json()
    assert (body["worker"], body["jobs"]) == ("ok", "piling_up")
    assert body["checks"]["jobs"]["oldest_ready_task_seconds"] > settings.HEALTH_MAX_BACKLOG_SECONDS
    assert body["checks"]["jobs"]["late"] == ["oldest_ready_task_seconds"]
    # A load balancer's probe is not about the workers: the app servers still serve.
    assert client.get("/healthz?web").status_code == 200


def test_it_is_unhealthy_when_a_periodic_job_is_overdue(client, db, settings, time_machine):
    from khaibao.core.schedule import enqueue_due

    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    settings.PERIODIC_TASKS = [("khaibao.core.tasks.prune_task_results", 60)]
    enqueue_due()
    DBTaskResult.objects.all().delete()  # it ran
    assert client.get("/healthz").status_code == 503  # no heartbeat yet
    time_machine.shift(timedelta(seconds=settings.HEALTH_MAX_BACKLOG_SECONDS + 120))
    worker_heartbeat.call("w1")

    body = client.get("/healthz?detail").json()

    assert body["jobs"] == "piling_up"
    assert body["checks"]["jobs"]["most_overdue_periodic_job"] == "khaibao.core.tasks.prune_task_results"


def test_it_is_unhealthy_when_deliveries_wait(client, world, settings, time_machine):
    from khaibao.notifications.services import notify_account

    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    notify_account(account=world.lan, kind="test", title="t", body="b", sms=True)
    DBTaskResult.objects.all().delete()  # the enqueue was lost; the delivery waits
    time_machine.shift(timedelta(seconds=settings.HEALTH_MAX_BACKLOG_SECONDS + 1))
    worker_heartbeat.call("w1")

    body = client.get("/healthz?detail").json()

    assert body["jobs"] == "piling_up"
    assert body["checks"]["jobs"]["oldest_due_delivery_seconds"] > settings.HEALTH_MAX_BACKLOG_SECONDS


def test_it_shows_every_check_with_its_numbers(client, db):
    worker_heartbeat.call("w1")
    resp = client.get("/healthz?detail")
    assert resp.status_code == 200
    checks = resp.json()["checks"]
    assert set(checks) == {"app", "database", "worker", "jobs", "sign_in_sms"}
    assert all(check["ok"] for check in checks.values())
    assert checks["database"]["ms"] >= 0
    assert checks["worker"]["heartbeat_age_seconds"] is not None
    assert "oldest_ready_task_seconds" in checks["jobs"]
