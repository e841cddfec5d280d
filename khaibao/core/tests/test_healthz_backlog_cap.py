"""/healthz and the staff health page under a large backlog: the counts stop at a cap, the oldest
rows are read by index, and the page reads the backlog once (review "scale": a count over 9M
pending rows would pass HEALTHZ_DB_TIMEOUT_MS and call a backlog a slow database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from khaibao.backoffice import health as backoffice_health
from khaibao.core.tasks import worker_heartbeat
from khaibao.monitoring import pending
from khaibao.monitoring.models import PendingAssessment
from khaibao.stats.tests.helpers import official_client


def _pending(world, n: int, *, oldest_minutes: int = 3) -> None:
    now = timezone.now()
    PendingAssessment.objects.bulk_create([
        PendingAssessment(
            daily_update_id=1000 + i, person=world.lan_child, day=timezone.localdate(),
            queued_at=now - timedelta(minutes=oldest_minutes - i),
        )
        for i in range(n)
    ])


def _pending_sql(queries) -> list[str]:
    return [q["sql"] for q in queries if "monitoring_pendingassessment" in q["sql"]]


def test_it_caps_the_pending_count_and_says_so(world, monkeypatch):
    monkeypatch.setattr(pending, "BACKLOG_COUNT_CAP", 2)
    _pending(world, 3)

    with CaptureQueriesContext(connection) as ctx:
        jobs = Client().get("/healthz?detail").json()["checks"]["jobs"]

    assert jobs["rush_pending_assessments"] == 2
    assert jobs["rush_pending_assessments_capped"] is True
    # The oldest is still the oldest of all three, not of the counted ones.
    assert jobs["oldest_pending_assessment_seconds"] >= 170
    sql = _pending_sql(ctx.captured_queries)
    assert any("COUNT(" in s and "LIMIT 3" in s for s in sql)
    # Never an aggregate over the whole backlog: every statement on it is bounded.
    assert all("LIMIT" in s for s in sql), sql


def test_it_counts_exactly_under_the_cap(world, monkeypatch):
    monkeypatch.setattr(pending, "BACKLOG_COUNT_CAP", 2)
    _pending(world, 2)

    jobs = Client().get("/healthz?detail").json()["checks"]["jobs"]

    assert jobs["rush_pending_assessments"] == 2
    assert jobs["rush_pending_assessments_capped"] is False


def test_the_staff_page_shows_the_cap_with_a_plus_and_reads_the_backlog_once(world, monkeypatch):
    monkeypatch.setattr(pending, "BACKLOG_COUNT_CAP", 2)
    _pending(world, 3)
    console = official_client(world.ward_official)
    calls: list[datetime] = []
    real = pending.pending_backlog

    def spy(*, now: datetime) -> dict[str, Any]:
        calls.append(now)
        return real(now=now)

    # /healthz's source is looked up by its path; the page held its own reference.
    monkeypatch.setattr(pending, "pending_backlog", spy)
    monkeypatch.setattr(backoffice_health, "pending_backlog", spy)

    page = console.get("/staff/health/").content.decode()

    assert '<dd id="rush-pending">2+</dd>' in page
    assert 'id="rush-on"' in page
    assert len(calls) == 1


def test_the_staff_page_groups_the_capped_count_in_the_reader_s_language(world, monkeypatch):
    monkeypatch.setattr(pending, "BACKLOG_COUNT_CAP", 1_000)
    _pending(world, 1_001, oldest_minutes=2_000)
    console = official_client(world.ward_official)  # English

    page = console.get("/staff/health/").content.decode()

    assert '<dd id="rush-pending">1,000+</dd>' in page


def test_the_oldest_ready_task_is_found_across_priorities_and_delays(client, db, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    worker_heartbeat.enqueue("old")  # priority 0, undelayed, waits 300 s
    time_machine.shift(timedelta(seconds=200))
    delayed = worker_heartbeat.enqueue("delayed")  # due 100 s ago, then
    DBTaskResult.objects.filter(pk=delayed.id).update(run_after=timezone.now() - timedelta(seconds=50))
    time_machine.shift(timedelta(seconds=50))
    urgent = worker_heartbeat.enqueue("urgent")
    DBTaskResult.objects.filter(pk=urgent.id).update(priority=10)
    time_machine.shift(timedelta(seconds=50))

    with CaptureQueriesContext(connection) as ctx:
        jobs = client.get("/healthz?detail").json()["checks"]["jobs"]

    assert jobs["oldest_ready_task_seconds"] == 300.0
    tasks = [q["sql"] for q in ctx.captured_queries if "django_tasks_database_dbtaskresult" in q["sql"]]
    assert tasks
    assert all("LIMIT 1" in s and "MIN(" not in s for s in tasks), tasks
