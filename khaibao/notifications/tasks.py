"""Background work for notifications: sending deliveries and the daily reminder.

`deliver` claims a delivery with a conditional UPDATE (a lease), so a duplicate task — from
the sweeper or a second worker — never sends twice. Failures retry with exponential backoff
(`NOTIFY_RETRY_BASE_SECONDS` × `NOTIFY_RETRY_FACTOR`^(n-1): 1, 5, 25 minutes by default;
`core.retries.retry_delay`, the schedule's one owner)
until `NOTIFY_MAX_ATTEMPTS`, then the delivery is `gave_up` (Django admin → Deliveries).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from khaibao.accounts import ratelimit
from khaibao.core.hooks import hooks
from khaibao.core.retries import retry_delay
from khaibao.notifications import channels
from khaibao.notifications.messages import daily_reminders_send
from khaibao.notifications.models import Channel, Delivery, DeliveryStatus
from khaibao.notifications.services import sms_budget_return, sms_budget_take

logger = logging.getLogger(__name__)

_WAITING = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)


def _enqueue(delivery_id: int, at: datetime | None = None) -> None:
    if at is not None and at > timezone.now():
        deliver.using(run_after=at).enqueue(delivery_id)
    else:
        deliver.enqueue(delivery_id)


# Above this many new deliveries at once (a warning batch), one task sends them all: one
# queue row per delivery cost more than the sending itself (bench/RESULTS.md).
ENQUEUE_ONE_BY_ONE_MAX = 20
DELIVER_BATCH_SIZE = 200


def deliveries_enqueue(delivery_ids: list[int]) -> None:
    """Hand new deliveries to the worker (called once the notifying transaction commits)."""
    if len(delivery_ids) > ENQUEUE_ONE_BY_ONE_MAX:
        for start in range(0, len(delivery_ids), DELIVER_BATCH_SIZE):
            chunk = delivery_ids[start : start + DELIVER_BATCH_SIZE]
            try:
                deliver_many.enqueue(chunk)
            except Exception:  # the sweeper picks them up later
                logger.exception("could not enqueue %s deliveries", len(chunk))
        return
    for delivery_id in delivery_ids:
        try:
            _enqueue(delivery_id)
        except Exception:  # the sweeper picks it up later
            logger.exception("could not enqueue delivery %s", delivery_id)


def _rate_limited(channel: str) -> datetime | None:
    """None when the channel may send now, else when its next one-minute window opens."""
    limit = settings.NOTIFY_RATE_LIMITS_PER_MINUTE.get(channel)
    if not limit:
        return None
    now = time.time()
    window = int(now // 60)
    if ratelimit.hit(f"notify:{channel}:{window}", window_seconds=120) <= limit:
        return None
    return timezone.now() + timedelta(seconds=(window + 1) * 60 - now)


@task()
def deliver(delivery_id: int) -> str:
    """Send one delivery if it is due; returns what happened (for the task result and tests)."""
    now = timezone.now()
    delivery = Delivery.objects.select_related("notification__account").filter(pk=delivery_id).first()
    if delivery is None or delivery.status not in _WAITING:
        return "skipped"
    if delivery.next_attempt_at > now:
        return "not_due"
    later = _rate_limited(delivery.channel)
    if later is not None:
        Delivery.objects.filter(pk=delivery.pk, status__in=_WAITING, attempts=delivery.attempts).update(
            next_attempt_at=later
        )
        _enqueue(delivery.pk, later)
        return "rate_limited"
    lease = now + timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS)
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status__in=_WAITING, attempts=delivery.attempts, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=lease)
    if not claimed:
        return "skipped"
    attempt = delivery.attempts + 1
    # The day the slot is taken for: a failure after midnight gives it back to that day.
    charged = timezone.localdate() if delivery.channel == Channel.SMS else None
    if charged is not None and not sms_budget_take(charged):
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.REFUSED, last_error="daily SMS budget spent (SMS_DAILY_BUDGET)"
        )
        logger.warning("SMS delivery %s refused: daily budget spent", delivery.pk)
        return "refused"
    try:
        channels.send(delivery)
    except Exception as exc:
        if charged is not None:
            sms_budget_return(charged)
        return _failed(delivery, attempt, exc)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"


def _failed(delivery: Delivery, attempt: int, exc: Exception) -> str:
    permanent = isinstance(exc, channels.ChannelError) and exc.permanent
    if not isinstance(exc, channels.ChannelError):
        logger.exception("delivery %s failed unexpectedly", delivery.pk)
    error = str(exc)[:500] or type(exc).__name__
    now = timezone.now()
    if permanent or attempt >= settings.NOTIFY_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.GAVE_UP, last_error=error, next_attempt_at=now
        )
        logger.warning("delivery %s (%s) gave up after %s attempt(s): %s", delivery.pk, delivery.channel, attempt, error)
        return "gave_up"
    retry_at = now + retry_delay(attempt)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, last_error=error, next_attempt_at=retry_at
    )
    _enqueue(delivery.pk, retry_at)
    return "failed"


@task()
def deliver_many(delivery_ids: list[int]) -> dict[str, int]:
    """`deliver` for a chunk of deliveries; each keeps its own lease, retries and give-up."""
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        outcome = deliver.call(delivery_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@task()
def deliveries_requeue() -> int:
    """Enqueue again deliveries whose time passed long ago (a lost enqueue, a worker killed mid-send).

    Harmless when the original task still runs: `deliver` claims the row before sending.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS)
    ids = list(
        Delivery.objects.filter(status__in=_WAITING, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    deliveries_enqueue(ids)
    return len(ids)


@task()
def send_daily_reminders() -> int:
    """Remind carers of people who have not sent today's daily update (once per person per day).

    Runs every few minutes (settings.PERIODIC_TASKS) and acts from `DAILY_REMINDER_HOUR`
    local time on. Who needs a reminder comes from `settings.DAILY_REMINDER_SOURCES`: dotted
    paths of functions `(today, after_person_id, limit) -> list[Person]` returning people
    ordered by id (keyset batches). The monitoring source is the only one today (khaibao/wiring.py);
    an organisation's campaign members are reminded by their own job instead (orgs.reminders:
    a roster line may have no account and is asked to declare, not only to update). The dedupe
    key is per person and day, so a person listed by several sources, or a job run twice, is
    reminded once. Each batch costs a fixed number of queries, however many of its people were
    reminded already (notifications.messages.daily_reminders_send).
    Returns the number of notifications created.
    """
    now = timezone.localtime()
    if now.hour < settings.DAILY_REMINDER_HOUR:
        return 0
    today = now.date()
    created = 0
    for source in hooks("DAILY_REMINDER_SOURCES"):
        after = 0
        while True:
            people = source(today=today, after_person_id=after, limit=settings.DAILY_REMINDER_BATCH)
            if not people:
                break
            created += daily_reminders_send(people=people, today=today)
            after = people[-1].pk
    return created
