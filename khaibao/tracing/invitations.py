"""The SMS inviting a traced contact to declare: its text, and its durable sending.

The owner of the invitation (review finding 3): before, the SMS went out once on commit and a
gateway timeout, an outage or a process killed after the commit lost it for good, while the
console and the API said "invited". Now:

* `invitation_queue` writes a `ContactInvitation` (the outbox: the phone, encrypted) in the
  registration's transaction and sets `Contact.invitation_status` to "queued";
* the first attempt is made as soon as the registration commits (as before, so the contact is
  texted while the official is still on the phone with the case); a failure is retried by the
  worker after `NOTIFY_RETRY_BASE_SECONDS` × `NOTIFY_RETRY_FACTOR`^(n−1) until
  `NOTIFY_MAX_ATTEMPTS`, then "gave_up" — the schedule of the notification deliveries, with their
  settings (`core.retries.retry_delay`, the schedule's one owner);
* `invitations_requeue` (periodic, `contact_invitations_requeue`) queues again the invitations
  whose time passed `NOTIFY_REQUEUE_GRACE_SECONDS` ago: a lost enqueue, a killed process;
* an attempt is claimed with a conditional UPDATE (a lease of `NOTIFY_SEND_LEASE_SECONDS`), so a
  duplicate task never sends twice; the outbox row is deleted once sent or given up.

Why not a notification `Delivery`: a delivery belongs to an inbox message of an account, and a
traced contact usually has neither — the SMS goes to the phone the official gave.
The invitation does not count against the health SMS budget (`SMS_DAILY_BUDGET`): one is sent per
contact an official registers by hand, and a close contact must never go untold because zone
warnings spent the day's budget (docs/operations.md, "SMS budgets").
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from khaibao.accounts.sms import send_sms
from khaibao.core.hotlines import hotline_params
from khaibao.core.retries import attempt_claim, attempt_enqueue, attempt_failed, lost_requeue
from khaibao.people.access import processing_allowed_q
from khaibao.people.models import Person
from khaibao.tracing.models import Contact, ContactInvitation, InvitationStatus
from khaibao.tracing.tasks import contact_invitation_send

logger = logging.getLogger(__name__)



def invitation_text() -> str:
    """The SMS asking a traced contact to declare. It never names the case they met.

    It asks for this phone and, when they add themselves, their ID number: the two facts that
    make the record registered here their own "self" (people.households.traced_contact_to_claim),
    so their declarations reach it instead of a second, unlinked record.
    """
    with translation.override(settings.LANGUAGE_CODE):
        url = settings.PUBLIC_BASE_URL + reverse("web:sign_in")
        return _(
            "Khai Bao: the health service asks you to make a health declaration today: you may have "
            "been in contact with a COVID-19 case. Sign in with this phone number at %(url)s . When you "
            "add yourself, enter your ID number (CCCD) so your declarations reach the health service's "
            "record. Hotline %(hotline)s."
        ) % {"url": url, **hotline_params()}


def invitation_status_label(code: str) -> str:
    """`Contact.invitation_status` in words, in the active language (the code itself if unknown)."""
    label: str | Promise = dict(InvitationStatus.choices).get(code, code)
    return str(label)


def invitation_queue(*, contact: Contact, phone: str) -> None:
    """Queue the invitation of the contact just created, in the caller's transaction; its first
    attempt is made once that transaction commits."""
    now = timezone.now()
    ContactInvitation.objects.create(contact=contact, phone=phone, next_attempt_at=now, created_at=now)
    Contact.objects.filter(pk=contact.pk).update(invitation_status=InvitationStatus.QUEUED)
    contact.invitation_status = InvitationStatus.QUEUED
    contact_id = contact.pk
    # robust: whatever goes wrong here, the outbox row stays and the sweep sends it.
    transaction.on_commit(lambda: invitation_send(contact_id), robust=True)


def invitation_send(contact_id: int) -> str:
    """Try to send one queued invitation if it is due; returns what happened ("sent", "failed" —
    retried later —, "gave_up", "not_due", "skipped")."""
    now = timezone.now()
    invitation = ContactInvitation.objects.filter(pk=contact_id).select_related("contact").first()
    if invitation is None:
        return "skipped"
    if invitation.next_attempt_at > now:
        return "not_due"
    if not attempt_claim(ContactInvitation, contact_id, invitation.attempts, now):  # another worker has it
        return "skipped"
    attempt = invitation.attempts + 1
    person_id = invitation.contact.person_id
    if not Person.objects.filter(processing_allowed_q(), pk=person_id).exists():
        # Consent withdrawn, or erasure asked for, since the registration: their phone is not used.
        return _finish(contact_id, InvitationStatus.GAVE_UP, attempt, "processing stopped for the person")
    try:
        send_sms(to=invitation.phone, body=invitation_text())
    except Exception as exc:
        error, retry_at = attempt_failed(contact_id, attempt, exc, what="invitation SMS of contact")
        if retry_at is None:
            return _finish(contact_id, InvitationStatus.GAVE_UP, attempt, error)
        with transaction.atomic():
            ContactInvitation.objects.filter(pk=contact_id).update(last_error=error, next_attempt_at=retry_at)
            Contact.objects.filter(pk=contact_id).update(invitation_status=InvitationStatus.FAILED)
        _enqueue(contact_id, retry_at)
        return "failed"
    return _finish(contact_id, InvitationStatus.SENT, attempt, "")


def _finish(contact_id: int, status: str, attempt: int, error: str) -> str:
    with transaction.atomic():
        ContactInvitation.objects.filter(pk=contact_id).delete()
        Contact.objects.filter(pk=contact_id).update(invitation_status=status)
    if status == InvitationStatus.GAVE_UP:
        logger.warning("invitation SMS of contact %s gave up after %s attempt(s): %s", contact_id, attempt, error)
    return str(status)


def _enqueue(contact_id: int, at: datetime | None = None) -> None:
    attempt_enqueue(contact_invitation_send, contact_id, at, what="the invitation of contact")


def invitations_requeue() -> int:
    """Queue again the invitations whose time passed long ago (a lost enqueue, a process killed
    mid-send); harmless when the original attempt still runs, as `invitation_send` claims first."""
    return lost_requeue(ContactInvitation, contact_invitation_send, what="the invitation of contact")
