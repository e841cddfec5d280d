"""Periodic jobs: `settings.PERIODIC_TASKS` lists (dotted task path, every N seconds).

The worker's scheduler thread calls `enqueue_due()` every few seconds. Each job runs at most
once per slot across all workers (ScheduledRun's unique key), so adding workers never
duplicates a job, and a job missed while every worker was down runs at the next slot.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from khaibao.core.models import ScheduledRun

logger = logging.getLogger(__name__)


def periodic_tasks() -> list[tuple[str, int]]:
    return [(str(path), int(every)) for path, every in settings.PERIODIC_TASKS]


def period_of(path: str) -> int:
    """How often the periodic job `path` runs, in seconds (settings.PERIODIC_TASKS owns it): for
    whoever tells a waiting person or client when to look again."""
    for job, every in periodic_tasks():
        if job == path:
            return every
    raise LookupError(f"{path} is not a periodic job (settings.PERIODIC_TASKS)")


def enqueue_due(*, now: float | None = None) -> list[str]:
    """Enqueue every periodic job whose current slot has not been claimed yet."""
    now = time.time() if now is None else now
    enqueued = []
    for path, every in periodic_tasks():
        slot = int(now // every)
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(name=path, slot=slot, enqueued_at=timezone.now())
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
