"""Which task workers are alive, and what becomes of the tasks of those that died.

A worker (`manage.py run_worker`) stamps `WorkerHeartbeat.alive_at` every few seconds from its
keeper thread. One older than WORKER_STALE_SECONDS means the process died (kill -9, a lost host)
or cannot reach the database; its RUNNING task rows would otherwise stay RUNNING for ever, so the
periodic `tasks_sweep` closes them as failed. The work itself is picked up by its own sweep:
periodic jobs run again at their next slot, deliveries and zone-warning runs are requeued by
theirs, exports by `exports_sweep` (which asks `tasks_in_progress` here).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db.models import DBTaskResult

from khaibao.core.failures import describe
from khaibao.core.models import WorkerHeartbeat


class WorkerLost(Exception):
    """Recorded as the failure of a task whose worker stopped while running it."""


_running = threading.local()


def current_task_id() -> str:
    """The id of the task row this thread is running ("" outside a task): a job records it so that
    its own sweep can tell a job still in progress from one whose worker died."""
    return str(getattr(_running, "task_id", "") or "")


def _task_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    _running.task_id = str(task_result.id)


def _task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    _running.task_id = ""


def connect_signals() -> None:
    task_started.connect(_task_started, dispatch_uid="khaibao.core.workers.task_started")
    task_finished.connect(_task_finished, dispatch_uid="khaibao.core.workers.task_finished")


def worker_alive(worker_id: str, *, now: datetime | None = None) -> None:
    """The keeper thread's stamp: this worker process lives and reaches the database."""
    now = now or timezone.now()
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(alive_at=now):
        WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"alive_at": now})


def live_workers(*, now: datetime | None = None) -> set[str]:
    stale_before = (now or timezone.now()) - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    return set(WorkerHeartbeat.objects.filter(alive_at__gte=stale_before).values_list("worker_id", flat=True))


def _last_worker(row: DBTaskResult) -> str | None:
    ids = row.worker_ids or []
    return str(ids[-1]) if ids else None


def tasks_in_progress(task_ids: Iterable[str], *, now: datetime | None = None) -> set[str]:
    """Of `task_ids`, those still waiting to run or running on a live worker."""
    ids = [str(t) for t in task_ids if t]
    if not ids:
        return set()
    alive = live_workers(now=now)
    found = set()
    rows = DBTaskResult.objects.filter(
        id__in=ids, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).only("id", "status", "worker_ids")
    for row in rows:
        if row.status == TaskResultStatus.READY or _last_worker(row) in alive:
            found.add(str(row.id))
    return found


def task_waiting(task_path: str, args: list[Any]) -> bool:
    """Whether a row for `task_path(*args)` is still waiting to run or running."""
    return DBTaskResult.objects.filter(
        task_path=task_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        args_kwargs__args=args,
    ).exists()


def task_fail(task_id: str, exc: BaseException, *, now: datetime | None = None) -> bool:
    """Close a RUNNING task row as failed with `exc` (one line, no traceback); False if it was not running."""
    kind = type(exc)
    return bool(
        DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now or timezone.now(),
            exception_class_path=f"{kind.__module__}.{kind.__qualname__}",
            traceback=describe(exc),
            return_value=None,
        )
    )


def tasks_close_abandoned(*, now: datetime | None = None) -> int:
    """Mark FAILED the task rows left RUNNING by workers that stopped (their `alive_at` is stale).

    A task younger than WORKER_STALE_SECONDS is left alone: its worker may not have stamped its
    first `alive_at` yet.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    alive = live_workers(now=now)
    closed = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=stale_before)
    for row in running.only("id", "worker_ids").iterator():
        worker = _last_worker(row)
        if worker in alive:
            continue
        lost = WorkerLost(f"worker {worker or '?'} stopped while running this task (no sign of life since "
                          f"{settings.WORKER_STALE_SECONDS} s)")
        closed += task_fail(str(row.id), lost, now=now)
    return closed
