"""The one retry schedule of outbound messages sent by the worker: the notification deliveries
(notifications.tasks), a traced contact's invitation (tracing.invitations) and the reply to an
inbound SMS (smsin.outbox). Kept here, below all three, so each calls it instead of repeating
the arithmetic (the deliveries' app sits above tracing, and smsin above both); and the attempts
of an outbox row, shared by the last two.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

logger = logging.getLogger(__name__)


def retry_delay(attempt: int) -> timedelta:
    """The wait after failed attempt number `attempt` (1-based):
    `NOTIFY_RETRY_BASE_SECONDS` × `NOTIFY_RETRY_FACTOR`^(attempt − 1) — 1, 5, 25 minutes by default."""
    return timedelta(seconds=settings.NOTIFY_RETRY_BASE_SECONDS * settings.NOTIFY_RETRY_FACTOR ** (attempt - 1))


# --- An outbox row's attempts (tracing.invitations, smsin.outbox) ---------------------------
# An outbox row (one message to send) has `attempts` and `next_attempt_at`; the worker's task
# takes the row's primary key. Written once here: claiming an attempt, enqueueing the next one,
# and queueing again those whose enqueue was lost.

REQUEUE_BATCH = 1000


def attempt_claim(model: Any, pk: int, attempts: int, now: datetime) -> bool:
    """Claim the next attempt at outbox row `pk` (read with `attempts` done): a conditional UPDATE,
    so two workers never send it twice; the row is leased for NOTIFY_SEND_LEASE_SECONDS (a worker
    killed mid-send leaves it to the sweep). False: another worker has it."""
    lease = now + timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS)
    rows = model.objects.filter(pk=pk, attempts=attempts, next_attempt_at__lte=now)
    return bool(rows.update(attempts=F("attempts") + 1, next_attempt_at=lease))


def attempt_enqueue(task: Any, pk: int, at: datetime | None = None, *, what: str) -> None:
    """Enqueue `task(pk)`, to run at `at` when given; a failure is logged, never raised: the outbox
    row stays, and `lost_requeue` enqueues it later."""
    try:
        if at is not None and at > timezone.now():
            task.using(run_after=at).enqueue(pk)
        else:
            task.enqueue(pk)
    except Exception:
        logger.exception("could not enqueue %s %s", what, pk)


def lost_requeue(model: Any, task: Any, *, what: str) -> int:
    """Enqueue again the outbox rows due longer than NOTIFY_REQUEUE_GRACE_SECONDS ago (a lost
    enqueue, a worker killed mid-send); harmless while the first attempt still runs, as each
    attempt is claimed first (`attempt_claim`). Returns how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS)
    due = model.objects.filter(next_attempt_at__lte=cutoff).order_by("next_attempt_at")
    ids = list(due.values_list("pk", flat=True)[:REQUEUE_BATCH])
    for pk in ids:
        attempt_enqueue(task, pk, what=what)
    return len(ids)


def attempt_failed(pk: int, attempt: int, exc: BaseException, *, what: str) -> tuple[str, datetime | None]:
    """After failed attempt number `attempt` at outbox row `pk`: the error as kept on the row (never
    the message), logged, and when to try again — None once NOTIFY_MAX_ATTEMPTS are spent (give up)."""
    error = str(exc)[:500] or type(exc).__name__
    logger.warning("%s %s failed (attempt %s): %s", what, pk, attempt, error)
    if attempt >= settings.NOTIFY_MAX_ATTEMPTS:
        return error, None
    return error, timezone.now() + retry_delay(attempt)
