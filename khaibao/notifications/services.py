"""Sending notifications: the inbox message (`Notification`) and its channel deliveries
(`Delivery`), which the worker sends (tasks.py); the daily SMS budget the worker takes from.
The account's own inbox writes are in inbox.py, the messages this app writes itself (the daily
reminder, a report's answer, a traced contact's invitation) in messages.py, the preferences in
preferences.py.

Senders (zone warnings, reminders, …) call `notify_account` / `notify_person` / `notify_people`.
Titles and bodies are given by the caller and sent as they are on every channel: callers give
generic texts and never health details. A lazy translation (`gettext_lazy`, `format_lazy`) is
rendered in each recipient's language (`account_language`), so one call can reach a
household whose members chose different languages.

Creating a notification writes no audit event: it is the system talking to the account, not
anyone reading or changing personal data, and the warning job writes up to millions of them
(the Notification row itself is the record). Preference changes and push subscriptions are
the account's own writes and are audited (preferences.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise

from khaibao.accounts.models import Account
from khaibao.notifications.models import (
    Channel,
    ChannelPreference,
    Delivery,
    DeliveryStatus,
    Language,
    Notification,
    SmsDailyCounter,
    WebPushSubscription,
)
from khaibao.notifications.preferences import preference_for
from khaibao.people.access import carer_ids, person_carers
from khaibao.people.models import Person

KIND_DAILY_REMINDER = "daily_reminder"
KIND_REPORT_REPLY = "report_reply"
KIND_CONTACT_INVITATION = "contact_invitation"

Text = str | Promise


def text_render(text: Text, language: str) -> str:
    """`text` as `language` reads it: a lazy translation is rendered in it, a plain string is kept."""
    if isinstance(text, Promise):
        with translation.override(language):
            return str(text)
    return text


def notify_account(
    *,
    account: Account,
    kind: str,
    title: Text,
    body: Text,
    link: str = "",
    dedupe_key: str | None = None,
    sms: bool | None = None,
    person: Person | None = None,
    outside_once_per: str | None = None,
    inbox_only: bool = False,
) -> Notification | None:
    """Put a notification in `account`'s inbox and queue it on the channels the account chose.

    In-app always; e-mail and Web Push when the account turned them on; SMS only when the
    caller asks for it (`sms=True`) and the account allows SMS (it costs money and counts
    against `SMS_DAILY_BUDGET`). With `dedupe_key` the call is idempotent per account: a
    second call with the same key returns None and sends nothing. Returns None as well when
    the account is inactive, or opted out of daily reminders for `kind="daily_reminder"`.
    Deliveries are handed to the worker once the surrounding transaction commits.

    `outside_once_per` is a dedupe-key prefix shared by messages about several people of one
    household (e.g. one zone warning per member): the inbox gets each, but SMS, e-mail and
    Web Push go out only for the first, so a carer of three people gets one SMS, not three.

    `inbox_only` writes the inbox message and no delivery on any channel, whatever the account
    chose: for a message its sender already sent outside the app (the traced contact's SMS).
    """
    if not account.is_active:
        return None
    pref = preference_for(account)
    # The switch is the daily reminder's alone: an organisation's campaign reminders follow the
    # campaign's reminder policy, not the citizen's preference — the page says so beside the
    # switch (labels.daily_reminder_switch_scope).
    if kind == KIND_DAILY_REMINDER and not pref.daily_reminder:
        return None
    if dedupe_key is not None and Notification.objects.filter(account=account, dedupe_key=dedupe_key).exists():
        return None
    language = pref.language or Language.VI
    notification = Notification(
        account=account,
        person=person,
        kind=kind[:50],
        title=text_render(title, language)[:200],
        body=text_render(body, language),
        link=link[:500],
        dedupe_key=dedupe_key,
    )
    try:
        # A savepoint: a concurrent sender with the same key must not break the caller's transaction.
        with transaction.atomic():
            notification.save()
            channels = [] if inbox_only else delivery_channels(account, pref, sms)
            if (
                channels
                and outside_once_per
                and Delivery.objects.filter(
                    notification__account=account, notification__dedupe_key__startswith=outside_once_per
                ).exists()
            ):
                channels = []
            deliveries = Delivery.objects.bulk_create(
                Delivery(notification=notification, channel=channel) for channel in channels
            )
    except IntegrityError:
        if dedupe_key is not None:
            return None
        raise
    if deliveries:
        from khaibao.notifications.tasks import deliveries_enqueue

        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: deliveries_enqueue(ids), robust=True)
    return notification


def delivery_channels(
    account: Account, pref: ChannelPreference, sms: bool | None, *, subscribed: bool | None = None
) -> list[str]:
    """`subscribed`: whether the account has a Web Push subscription, when the caller read it already."""
    channels: list[str] = []
    if sms and pref.sms and account.phone:
        channels.append(Channel.SMS)
    if pref.email and pref.email_address:
        channels.append(Channel.EMAIL)
    if subscribed is None and pref.webpush:
        subscribed = WebPushSubscription.objects.filter(account=account).exists()
    if pref.webpush and subscribed:
        channels.append(Channel.WEBPUSH)
    return channels


def notify_person(
    *,
    person: Person,
    kind: str,
    title: Text,
    body: Text,
    link: str = "",
    dedupe_key: str | None = None,
    sms: bool | None = None,
    outside_once_per: str | None = None,
    inbox_only: bool = False,
) -> list[Notification]:
    """Notify everyone who looks after `person` (`people.access.person_carers`); one notification each.

    The same `dedupe_key` is used for every account, so repeating the call notifies only
    accounts that were not notified yet (e.g. a household owner added in between).
    """
    created = []
    for account in person_carers(person):
        notification = notify_account(
            account=account, kind=kind, title=title, body=body, link=link,
            dedupe_key=dedupe_key, sms=sms, person=person, outside_once_per=outside_once_per,
            inbox_only=inbox_only,
        )
        if notification is not None:
            created.append(notification)
    return created


def notify_people(
    *,
    people: QuerySet[Person],
    kind: str,
    title: Text,
    body: Text,
    link: str = "",
    dedupe_key: str,
    sms: bool | None = None,
    outside_once_per: str | None = None,
) -> int:
    """Notify everyone who looks after any of `people` (`people.access.person_carers`) — **once per
    account**, however many of the people they look after — in SQL, in a fixed number of
    statements; returns how many notifications were created.

    For messages that say the same to every carer (the zone warning to a zone's residents,
    which may reach a million people): a carer of three residents gets one inbox message,
    not three identical ones. `people` is a queryset used as a subquery (its rows are never
    loaded). `dedupe_key` makes it idempotent per account, across calls and concurrent
    senders, so a job can notify a large set in batches and repeat a batch safely.
    `outside_once_per` works as in `notify_account`. Daily-reminder opt-outs are not applied
    here (use `notify_person` for reminders).

    Why SQL rather than the ORM: building Django objects for every recipient capped the
    warning job at ~2,700 people/s; INSERT … SELECT … ON CONFLICT DO NOTHING lets the
    database find the recipients, skip the existing keys and write the rows in one pass
    (bench/RESULTS.md, zone warning job).
    """
    now = timezone.now()
    # Who looks after the people: the access layer's rule, compiled by the ORM (people/access.py).
    carers_sql, carers_params = carer_ids(people).query.sql_with_params()
    # The texts are rendered once per language, not per recipient, and picked in SQL.
    languages = [code for code in Language.values if code != Language.VI]
    pick = "CASE COALESCE(pref.language, '') " + " ".join("WHEN %s THEN %s" for _code in languages) + " ELSE %s END"
    titles = [text_render(title, code)[:200] for code in languages]
    bodies = [text_render(body, code) for code in languages]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO notifications_notification
                   (account_id, person_id, kind, title, body, link, created_at, dedupe_key)
            SELECT carers.carer, NULL, %s, {pick}, {pick}, %s, %s, %s
              FROM ({carers_sql}) carers
              LEFT JOIN notifications_channelpreference pref ON pref.account_id = carers.carer
             WHERE 1 = 1
            ON CONFLICT DO NOTHING
            RETURNING id, account_id
            """,  # noqa: S608 -- only the ORM's SQL and placeholders are interpolated
            [
                kind[:50],
                *[v for pair in zip(languages, titles, strict=True) for v in pair], text_render(title, Language.VI)[:200],
                *[v for pair in zip(languages, bodies, strict=True) for v in pair], text_render(body, Language.VI),
                link[:500], now, dedupe_key[:200], *carers_params,
            ],
        )
        created: list[tuple[int, int]] = cursor.fetchall()
    if not created:
        return 0
    delivery_ids = _deliveries_create(created, sms=bool(sms), outside_once_per=outside_once_per, now=now)
    if delivery_ids:
        from khaibao.notifications.tasks import deliveries_enqueue

        transaction.on_commit(lambda: deliveries_enqueue(delivery_ids), robust=True)
    return len(created)


def _deliveries_create(
    created: list[tuple[int, int]], *, sms: bool, outside_once_per: str | None, now: Any
) -> list[int]:
    """The channel deliveries of freshly created notifications ((id, account id) pairs, at
    most one per account), written in SQL: one INSERT … SELECT per channel."""
    # The rules of `delivery_channels`, as SQL over the notification's account and preferences.
    channels = {
        Channel.EMAIL: "COALESCE(pref.email, FALSE) AND COALESCE(pref.email_address, '') <> ''",
        Channel.WEBPUSH: """COALESCE(pref.webpush, TRUE) AND EXISTS (
            SELECT 1 FROM notifications_webpushsubscription w WHERE w.account_id = n.account_id)""",
    }
    if sms:
        channels[Channel.SMS] = "COALESCE(pref.sms, TRUE) AND COALESCE(a.phone_index, '') <> ''"
    # Accounts this prefix already reached outside the app through another notification.
    not_reached, reached_params = "1 = 1", list[Any]()
    if outside_once_per:
        not_reached = """NOT EXISTS (
            SELECT 1 FROM notifications_delivery d
              JOIN notifications_notification earlier ON earlier.id = d.notification_id
             WHERE earlier.account_id = n.account_id AND earlier.id <> n.id
               AND substr(earlier.dedupe_key, 1, %s) = %s)"""
        reached_params = [len(outside_once_per), outside_once_per]
    ids: list[int] = []
    candidates = sorted(notification_id for notification_id, _account_id in created)
    with connection.cursor() as cursor:
        for chunk in _chunks(candidates):
            for channel, condition in channels.items():
                cursor.execute(
                    f"""
                    INSERT INTO notifications_delivery
                           (notification_id, channel, status, attempts, next_attempt_at, last_error, created_at)
                    SELECT n.id, %s, %s, 0, %s, '', %s
                      FROM notifications_notification n
                      JOIN accounts_account a ON a.id = n.account_id
                      LEFT JOIN notifications_channelpreference pref ON pref.account_id = n.account_id
                     WHERE n.id IN ({", ".join(["%s"] * len(chunk))}) AND {condition} AND {not_reached}
                    ON CONFLICT DO NOTHING
                    RETURNING id
                    """,  # noqa: S608 -- only fixed SQL and placeholders are interpolated
                    [channel, DeliveryStatus.QUEUED, now, now, *chunk, *reached_params],
                )
                ids += [row[0] for row in cursor.fetchall()]
    return ids


def _chunks(values: list[int], size: int = 5000) -> Iterable[list[int]]:
    # SQLite allows 32,766 parameters per statement; PostgreSQL plans long IN lists slowly.
    for start in range(0, len(values), size):
        yield values[start : start + size]


def sms_budget_take(day: date | None = None) -> bool:
    """Count one SMS against `day`'s budget (SMS_DAILY_BUDGET; today's by default); False when
    the budget is spent. A caller that may give the slot back (`sms_budget_return`) passes the
    day itself, so that the slot goes back to the day it was taken for.

    The health notifications' budget alone (zone warnings, exposures, daily reminders): an
    organisation's campaign reminders count against their own (orgs/sms_budget.py,
    ORG_SMS_DAILY_BUDGET), so no roster can spend what these need. A traced contact's
    invitation (tracing/invitations.py) counts against neither."""
    day = day or timezone.localdate()
    # get_or_create settles a race on the day's row by itself; the conditional UPDATE is atomic.
    SmsDailyCounter.objects.get_or_create(day=day)
    if SmsDailyCounter.objects.filter(day=day, sent__lt=settings.SMS_DAILY_BUDGET).update(sent=F("sent") + 1):
        return True
    SmsDailyCounter.objects.filter(day=day).update(refused=F("refused") + 1)
    return False


def sms_budget_return(day: date) -> None:
    """Give back a slot taken for `day` (`sms_budget_take`) for an SMS the gateway refused:
    it cost nothing. To the day it was taken for — after midnight too, so that the next day never
    gets a budget it did not spend (as orgs.sms_budget.org_sms_budget_return does)."""
    SmsDailyCounter.objects.filter(day=day, sent__gt=0).update(sent=F("sent") - 1)
