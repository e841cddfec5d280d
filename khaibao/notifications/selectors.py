"""Reads for notifications: the inbox, the unread count, reminder audiences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.http import Http404

from khaibao.accounts.models import Account
from khaibao.core.params import id_in_range
from khaibao.monitoring.models import PersonStatus
from khaibao.notifications.models import (
    ChannelPreference,
    Delivery,
    DeliveryStatus,
    Notification,
    WebPushSubscription,
)
from khaibao.people import access as people_access
from khaibao.people.models import Person

INBOX_PAGE_MAX = 100
DAILY_REMINDER_KEY_PREFIX = "daily-reminder"


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


def daily_reminder_key(today: date, person_id: int) -> str:
    """The daily reminder's dedupe key: one per person and day (notify_account's per-account key)."""
    return f"{DAILY_REMINDER_KEY_PREFIX}:{today.isoformat()}:{person_id}"


def monitored_people_without_update(*, today: date, after_person_id: int, limit: int) -> list[Person]:
    """People under monitoring today (monitoring_until ≥ today) with no daily update for today yet
    (monitoring.selectors.status_updated_on's rule: yesterday's update sent this morning is not it)
    and not reminded today yet (no notification with today's `daily_reminder_key`).

    A daily-reminder source (settings.DAILY_REMINDER_SOURCES): ordered by id after
    `after_person_id`, at most `limit`. Two queries, each an index range.
    """
    # Keyset on the status row's own key, so each batch reads one index range: filtering
    # through the person (`status__…`) made PostgreSQL merge-join the status table from id 0
    # on every batch (1.1 s a batch after id 250,000 in a 500k world). People reminded earlier
    # today are left out here, so later runs of the evening cost one query per batch instead
    # of ~3 per person (docs/scaling.md, daily reminder).
    reminded = Notification.objects.filter(
        person_id=OuterRef("person_id"),
        dedupe_key=Concat(
            Value(f"{DAILY_REMINDER_KEY_PREFIX}:{today.isoformat()}:"),
            Cast(OuterRef("person_id"), output_field=CharField()),
            output_field=CharField(),
        ),
    )
    ids = list(
        PersonStatus.objects.filter(
            Q(last_update_day__isnull=True) | Q(last_update_day__lt=today),
            monitoring_until__gte=today,
            person_id__gt=after_person_id,
        )
        .filter(~Exists(reminded))
        .order_by("person_id")
        .values_list("person_id", flat=True)[:limit]
    )
    # The people by id in a query of their own: joined in, the person table was merge-joined
    # from id 0 as well (the range on the status does not carry over to it).
    return list(Person.objects.filter(pk__in=ids).order_by("pk")) if ids else []


@dataclass(frozen=True)
class ReminderRecipient:
    """One carer to remind about one person. `account.channel_preference` is loaded when the
    account has one (`preference` is the defaults otherwise); `subscribed`: any Web Push
    subscription."""

    person: Person
    account: Account
    preference: ChannelPreference
    subscribed: bool


def daily_reminder_recipients(*, people: list[Person], today: date) -> list[ReminderRecipient]:
    """Whom to remind today about `people`: every active carer (`people.access` carers rule)
    who kept the daily reminder on and has no reminder about that person today yet —
    `notify_account`'s checks, made for a whole batch in three queries instead of ~3 per person.
    """
    if not people:
        return []
    by_id = {person.pk: person for person in people}
    pairs = {(row["cared"], row["carer"]) for row in people_access.carer_pairs(Person.objects.filter(pk__in=list(by_id)))}
    if not pairs:
        return []
    keys = {daily_reminder_key(today, person_id): person_id for person_id in by_id}
    carers = {carer for _person, carer in pairs}
    done = {
        (keys[key], account_id)
        for account_id, key in Notification.objects.filter(
            account_id__in=carers, dedupe_key__in=list(keys)
        ).values_list("account_id", "dedupe_key")
        if key is not None
    }
    wanted = pairs - done
    if not wanted:
        return []
    accounts = {
        account.pk: account
        for account in Account.objects.filter(pk__in={carer for _person, carer in wanted}, is_active=True)
        .select_related("channel_preference")
        .annotate(webpush_subscribed=Exists(WebPushSubscription.objects.filter(account=OuterRef("pk"))))
    }
    recipients = []
    for person_id, account_id in sorted(wanted):
        account = accounts.get(account_id)
        if account is None:
            continue
        try:
            preference = account.channel_preference
        except ChannelPreference.DoesNotExist:
            preference = ChannelPreference(account=account)
        if not preference.daily_reminder:
            continue
        recipients.append(ReminderRecipient(
            person=by_id[person_id], account=account, preference=preference,
            subscribed=bool(account.webpush_subscribed),  # type: ignore[attr-defined]
        ))
    return recipients


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
