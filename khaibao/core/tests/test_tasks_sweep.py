"""Task rows left RUNNING by a worker that died are closed as failed by the periodic sweep; those
of a live worker (however long their task) are left alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from khaibao.core.tasks import tasks_sweep, worker_heartbeat
from khaibao.core.workers import worker_alive


def _running_on(worker: str, *, minutes_ago: int) -> str:
    result = worker_heartbeat.enqueue("someone")
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=[worker],
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return str(result.id)


def test_it_closes_the_tasks_of_dead_workers(db: Any, settings: Any) -> None:
    settings.WORKER_STALE_SECONDS = 120
    dead = _running_on("host-a-111", minutes_ago=30)  # killed with -9 half an hour ago
    slow = _running_on("host-b-222", minutes_ago=30)  # a long export on a live worker
    young = _running_on("host-c-333", minutes_ago=0)  # just claimed: no liveness stamp yet
    worker_alive("host-b-222")

    assert tasks_sweep.call() == 1

    closed = DBTaskResult.objects.get(id=dead)
    assert closed.status == TaskResultStatus.FAILED
    assert closed.finished_at is not None
    assert closed.exception_class_path == "khaibao.core.workers.WorkerLost"
    assert "host-a-111" in closed.traceback
    assert DBTaskResult.objects.get(id=slow).status == TaskResultStatus.RUNNING
    assert DBTaskResult.objects.get(id=young).status == TaskResultStatus.RUNNING
    assert tasks_sweep.call() == 0


def test_it_closes_the_tasks_of_a_worker_whose_liveness_went_stale(db: Any, settings: Any, time_machine: Any) -> None:
    settings.WORKER_STALE_SECONDS = 120
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    task = _running_on("host-a-111", minutes_ago=5)
    worker_alive("host-a-111")
    assert tasks_sweep.call() == 0
    time_machine.shift(timedelta(seconds=121))  # no stamp since: it died
    assert tasks_sweep.call() == 1
    assert DBTaskResult.objects.get(id=task).status == TaskResultStatus.FAILED


def test_it_sweeps_every_minute(settings: Any) -> None:
    assert ("khaibao.core.tasks.tasks_sweep", 60) in settings.PERIODIC_TASKS
