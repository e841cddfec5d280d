"""How task runs are logged: routine periodic runs quietly, everything that matters loudly.

django-tasks logs every task twice at INFO (started, finished). With a dozen periodic jobs and a
heartbeat every few seconds, `make run`'s terminal scrolled the citizen's sign-in code (printed
there by the console SMS backend) out of sight. Here a periodic job's or the heartbeat's run is
logged at DEBUG, unless it failed (ERROR, with the traceback, as before) or took longer than
`TASK_SLOW_LOG_SECONDS` (WARNING, with the time). One-off tasks — a delivery, an export, a
zone's warnings — stay at INFO.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django_tasks import signals
from django_tasks.base import TaskResultStatus

logger = logging.getLogger("django_tasks")

HEARTBEAT = "khaibao.core.tasks.worker_heartbeat"


def _routine(path: str) -> bool:
    return path == HEARTBEAT or any(path == job for job, _every in settings.PERIODIC_TASKS)


def _started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    path = task_result.task.module_path
    level = logging.DEBUG if _routine(path) else logging.INFO
    logger.log(level, "Task id=%s path=%s state=%s", task_result.id, path, task_result.status)


def _finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    path = task_result.task.module_path
    if task_result.status == TaskResultStatus.FAILED:
        # As django-tasks does: logger.exception, for error monitoring.
        logger.exception("Task id=%s path=%s state=%s", task_result.id, path, task_result.status)
        return
    started, finished = task_result.started_at, task_result.finished_at
    seconds = (finished - started).total_seconds() if started and finished else 0.0
    if seconds > settings.TASK_SLOW_LOG_SECONDS:
        logger.warning(
            "Task id=%s path=%s state=%s took %.1f s", task_result.id, path, task_result.status, seconds
        )
        return
    level = logging.DEBUG if _routine(path) else logging.INFO
    logger.log(level, "Task id=%s path=%s state=%s", task_result.id, path, task_result.status)


def connect() -> None:
    """Replace django-tasks' own started/finished loggers with ours (idempotent)."""
    signals.task_started.disconnect(signals.log_task_started)
    signals.task_finished.disconnect(signals.log_task_finished)
    signals.task_started.connect(_started, dispatch_uid="khaibao.core.tasklog.started")
    signals.task_finished.connect(_finished, dispatch_uid="khaibao.core.tasklog.finished")
