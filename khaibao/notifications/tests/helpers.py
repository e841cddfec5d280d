"""Shared bits for the notification tests: run the task worker once, put someone under monitoring."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from khaibao.monitoring.models import PersonStatus


def run_worker() -> list[Any]:
    """Run every task that is ready now, as the worker would (minus its connection recycling,
    which would end the test's transaction). Returns the tasks' return values, in order."""
    worker = Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )
    results = []
    while True:
        db_task = DBTaskResult.objects.ready().order_by("run_after", "enqueued_at").first()
        if db_task is None:
            return results
        db_task.claim(worker.worker_id)
        worker.run_task(db_task)
        db_task.refresh_from_db()
        results.append(db_task.return_value if db_task.status == "SUCCESSFUL" else db_task.status)


def monitor(
    person: Any, *, until: date, last_update_at: datetime | None = None, last_update_day: date | None = None
) -> None:
    """Under monitoring until `until`; an update sent at `last_update_at`, for its own local day
    unless `last_update_day` says which day it was for."""
    if last_update_at is not None and last_update_day is None:
        last_update_day = timezone.localdate(last_update_at)
    PersonStatus.objects.update_or_create(
        person=person,
        defaults={
            "level": "medium", "monitoring_from": until, "monitoring_until": until,
            "last_update_at": last_update_at, "last_update_day": last_update_day,
        },
    )
