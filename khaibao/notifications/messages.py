"""The messages the notifications app writes itself, through services.py: the daily reminder
(the periodic job in tasks.py), the answer to a citizen's report (REPORT_REPLIED_HOOKS) and a
traced contact's invitation to declare (CONTACT_REGISTERED_HOOKS).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from khaibao.accounts.models import Account
from khaibao.core.hotlines import hotline_params
from khaibao.notifications.models import Delivery, Language, Notification
from khaibao.notifications.selectors import daily_reminder_key, daily_reminder_recipients
from khaibao.notifications.services import (
    KIND_CONTACT_INVITATION,
    KIND_DAILY_REMINDER,
    KIND_REPORT_REPLY,
    Text,
    delivery_channels,
    notify_account,
    notify_person,
    text_render,
)
from khaibao.people.models import Person


def _daily_reminder_text(person: Person) -> tuple[Text, Text]:
    given_name = person.full_name.split()[-1] if person.full_name.split() else ""
    return gettext_lazy("Time for today's health update"), format_lazy(
        gettext_lazy("Please send today's daily health update for {name} in Khai Báo. It takes a minute."),
        name=given_name,
    )


def daily_reminder_send(*, person: Person, today: date) -> int:
    """Remind everyone who looks after `person` to send today's daily update (cập nhật hằng ngày).

    At most once per person per day (dedupe key). The text names only the person's given
    name — it says nothing about why they are monitored. Returns notifications created.
    """
    title, body = _daily_reminder_text(person)
    created = notify_person(
        person=person,
        kind=KIND_DAILY_REMINDER,
        title=title,
        body=body,
        link=f"/people/{person.pk}/update/",
        dedupe_key=daily_reminder_key(today, person.pk),
        sms=True if settings.DAILY_REMINDER_SMS else None,
    )
    return len(created)


def daily_reminders_send(*, people: list[Person], today: date) -> int:
    """`daily_reminder_send` for a batch of people, in a fixed number of statements (the daily
    reminder job: ~3 queries per person made a run of the evening take hours at national scale).

    The same recipients, texts, channels and dedupe keys as `notify_person` would give, one
    transaction per batch; deliveries go to the worker once it commits. Returns notifications
    created.
    """
    recipients = daily_reminder_recipients(people=people, today=today)
    if not recipients:
        return 0
    sms = True if settings.DAILY_REMINDER_SMS else None
    notifications = []
    for recipient in recipients:
        title, body = _daily_reminder_text(recipient.person)
        language = recipient.preference.language or Language.VI
        notifications.append(Notification(
            account=recipient.account,
            person=recipient.person,
            kind=KIND_DAILY_REMINDER,
            title=text_render(title, language)[:200],
            body=text_render(body, language),
            link=f"/people/{recipient.person.pk}/update/",
            dedupe_key=daily_reminder_key(today, recipient.person.pk),
        ))
    with transaction.atomic():
        try:
            with transaction.atomic():
                Notification.objects.bulk_create(notifications)
        except IntegrityError:
            # A concurrent run reminded some of them first: one by one, each skipping what exists.
            return sum(daily_reminder_send(person=person, today=today) for person in people)
        deliveries = Delivery.objects.bulk_create(
            Delivery(notification=notification, channel=channel)
            for notification, recipient in zip(notifications, recipients, strict=True)
            for channel in delivery_channels(recipient.account, recipient.preference, sms, subscribed=recipient.subscribed)
        )
        if deliveries:
            from khaibao.notifications.tasks import deliveries_enqueue

            ids = [d.pk for d in deliveries]
            transaction.on_commit(lambda: deliveries_enqueue(ids), robust=True)
    return len(notifications)


def report_reply_notify(*, account: Account, report_id: int) -> Notification | None:
    """Tell a signed-in reporter that an official answered their report (phản ánh) — registered
    as a REPORT_REPLIED_HOOKS hook. The text says only that there is an answer: the answer
    itself is read in the account, where the report is. In-app, and on the channels the
    account turned on (no SMS: it costs money and the reporter chose none for this).
    """
    return notify_account(
        account=account,
        kind=KIND_REPORT_REPLY,
        title=gettext_lazy("Your report has an answer"),
        body=format_lazy(
            gettext_lazy("The health authority answered your report no. {number}. Open it to read the answer."),
            number=report_id,
        ),
        link=f"/reports/#report-{report_id}",
    )


def contact_invitation_notify(*, person: Person, contact_id: int) -> list[Notification]:
    """Put the traced contact's invitation to declare (tracing.services.contact_register) in the
    inbox of everyone who looks after `person` — registered as a CONTACT_REGISTERED_HOOKS hook.

    The inbox only: the invitation goes by SMS to the phone the official gave (queued and retried
    by tracing.invitations), and a second SMS (or a push repeating it) would cost and tell nothing
    new. Like the SMS (tracing.invitations.invitation_text) the text names no case, no place and
    no time: only the person's given name, as the daily reminder does, and a link to their status
    page. Someone
    registered by the official just now has no account and no household: nobody gets it.
    """
    parts = person.full_name.split()
    return notify_person(
        person=person,
        kind=KIND_CONTACT_INVITATION,
        title=gettext_lazy("The health service asks for a health declaration"),
        body=format_lazy(
            gettext_lazy(
                "The health service asks {name} to make a health declaration today: {name} may have been "
                "in contact with a COVID-19 case. Open the status page to see what to do. Hotline {hotline}."
            ),
            name=parts[-1] if parts else "",
            **hotline_params(),
        ),
        link=reverse("web:person_status", args=[person.pk]),
        dedupe_key=f"contact-invitation:{contact_id}",
        inbox_only=True,
    )
