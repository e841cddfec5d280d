"""Periodic jobs: `settings.PERIODIC_TASKS` lists (dotted task path, every N seconds).

The worker's scheduler thread calls `enqueue_due()` every few seconds. Each job runs at most
once per slot across all workers (ScheduledRun's unique key), so adding workers never
duplicates a job, and a job missed while every worker was down runs at the next slot.

A job never overlaps itself: while its previous run is still queued or running (its task row
READY, or RUNNING on a live worker), the slot is claimed but skipped — logged, and counted per
hour in `schedule.skipped.<job>` (core/counters.py). A run whose worker died (RUNNING, its
worker's liveness stale: the rule `tasks_sweep` applies) or a queued row older than
`QUEUED_GIVE_UP_SECONDS` does not hold the job back.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from khaibao.core.counters import counter_add
from khaibao.core.models import ScheduledRun
from khaibao.core.workers import live_workers

logger = logging.getLogger(__name__)

# A run still queued (READY) after this long no longer holds its job back: its queue may not be
# served. Longer than any backlog a busy worker pool should have.
QUEUED_GIVE_UP_SECONDS = 3600
SKIPPED_COUNTER = "schedule.skipped."


def periodic_tasks() -> list[tuple[str, int]]:
    return [(str(path), int(every)) for path, every in settings.PERIODIC_TASKS]


def period_of(path: str) -> int:
    """How often the periodic job `path` runs, in seconds (settings.PERIODIC_TASKS owns it): for
    whoever tells a waiting person or client when to look again."""
    for job, every in periodic_tasks():
        if job == path:
            return every
    raise LookupError(f"{path} is not a periodic job (settings.PERIODIC_TASKS)")


def previous_run_busy(path: str, *, now: datetime) -> str | None:
    """"queued" or "running" while an earlier run of the job `path` is not finished, else None.

    One probe of the task rows still open (READY or RUNNING) for `path` (index
    core_open_task_path, migration core.0006). RUNNING counts while its worker lives
    (core.workers.live_workers) or for WORKER_STALE_SECONDS after it started (the worker may not
    have stamped its liveness yet) — the rule by which tasks_sweep closes the rows of dead workers.
    """
    rows = list(
        DBTaskResult.objects.filter(task_path=path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
        .order_by()
        .values_list("status", "enqueued_at", "started_at", "worker_ids")[:20]
    )
    if not rows:
        return None
    queued_since = now - timedelta(seconds=QUEUED_GIVE_UP_SECONDS)
    started_since = now - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    alive: set[str] | None = None
    for status, enqueued_at, started_at, worker_ids in rows:
        if status == TaskResultStatus.READY:
            if enqueued_at >= queued_since:
                return "queued"
            continue
        if started_at is not None and started_at >= started_since:
            return "running"
        if alive is None:
            alive = live_workers(now=now)
        if worker_ids and str(worker_ids[-1]) in alive:
            return "running"
    return None


def enqueue_due(*, now: float | None = None) -> list[str]:
    """Enqueue every periodic job whose current slot has not been claimed yet, unless its previous
    run is still queued or running (the slot is then claimed and skipped)."""
    now = time.time() if now is None else now
    moment = datetime.fromtimestamp(now, tz=UTC)
    enqueued = []
    for path, every in periodic_tasks():
        slot = int(now // every)
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(name=path, slot=slot, enqueued_at=timezone.now())
                busy = previous_run_busy(path, now=moment)
                if busy:
                    # Claimed, so that the other workers do not ask again for this slot.
                    logger.info("periodic job %s skipped slot %s: its previous run is still %s", path, slot, busy)
                    counter_add(f"{SKIPPED_COUNTER}{path}"[:100], now=moment)
                    continue
                task: Any = import_string(path)
                task.enqueue()
        except IntegrityError:
            continue  # another worker claimed this slot
        except DatabaseError:
            # The database is unreachable or failing: every other job would fail alike. The
            # worker's keeper logs one line and backs off (run_worker).
            raise
        except Exception:
            logger.exception("could not enqueue periodic job %s", path)
            continue
        enqueued.append(path)
    return enqueued


def prune_old_runs(*, keep_seconds: int = 7 * 24 * 3600) -> int:
    cutoff = timezone.now() - timedelta(seconds=keep_seconds)
    deleted, _ = ScheduledRun.objects.filter(enqueued_at__lt=cutoff).delete()
    return deleted
