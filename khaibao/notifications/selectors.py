"""Reads for notifications: the inbox, the unread count, reminder audiences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.http import Http404

from khaibao.accounts.models import Account
from khaibao.core.params import id_in_range
from khaibao.notifications.models import Delivery, DeliveryStatus, Notification
from khaibao.people.models import Person

INBOX_PAGE_MAX = 100


@dataclass(frozen=True)
class InboxPage:
    items: list[Notification]
    next_before: int | None  # pass as `before` for the next (older) page


def inbox_page(account: Account, *, before: int | None = None, limit: int = 20) -> InboxPage:
    """The account's notifications, newest first, by keyset on id (one query)."""
    limit = max(1, min(limit, INBOX_PAGE_MAX))
    qs = Notification.objects.filter(account=account)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[: limit + 1])
    items = rows[:limit]
    return InboxPage(items=items, next_before=items[-1].pk if len(rows) > limit else None)


def unread_count(account: Account) -> int:
    """How many of the account's notifications are unread (a count on a partial index)."""
    return Notification.objects.filter(account=account, read_at__isnull=True).count()


def notification_for_account(account: Account, notification_id: int) -> Notification:
    """One of the account's notifications, else Http404 — the same for missing and another's."""
    if not id_in_range(notification_id):
        raise Http404
    notification = Notification.objects.filter(account=account, pk=notification_id).first()
    if notification is None:
        raise Http404
    return notification


def monitored_people_without_update(*, today: date, after_person_id: int, limit: int) -> list[Person]:
    """People under monitoring today (monitoring_until ≥ today) with no daily update for today yet
    (monitoring.selectors.status_updated_on's rule: yesterday's update sent this morning is not it).

    A daily-reminder source (settings.DAILY_REMINDER_SOURCES): ordered by id after
    `after_person_id`, at most `limit`.
    """
    return list(
        Person.objects.filter(
            Q(status__last_update_day__isnull=True) | Q(status__last_update_day__lt=today),
            status__monitoring_until__gte=today,
            pk__gt=after_person_id,
        ).order_by("pk")[:limit]
    )


def deliveries_backlog(*, now: datetime) -> dict[str, float]:
    """For /healthz (settings.HEALTH_BACKLOG_SOURCES): how long the oldest delivery whose time has
    come has been waiting for a worker, in seconds (0 when none waits). One index probe."""
    due = (
        Delivery.objects.filter(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.FAILED], next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return {"oldest_due_delivery_seconds": round((now - due).total_seconds(), 1) if due else 0.0}
