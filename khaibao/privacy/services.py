"""Data-subject rights: withdraw consent, erase (confirmed by a one-time code), download.

Withdrawing consent and erasing share one path: the citizen picks people of their household,
a code goes by SMS to the account's phone, and the right code stops all processing for those
people at once and queues their erasure (privacy.tasks.erasure_run). Choosing oneself erases
the whole household and closes the account: nobody would be left to act for the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.accounts.one_time_codes import (
    code_clean,
    code_consume,
    code_issue,
    code_redeem,
    code_refused,
    code_send_check,
)
from khaibao.accounts.sms import send_sms
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.core.params import id_in_range
from khaibao.people.access import household_people
from khaibao.people.models import HouseholdMembership, Relation
from khaibao.privacy import erasure as erasing
from khaibao.privacy import selectors
from khaibao.privacy.models import ConsentWithdrawal, Erasure, ErasureCode, ErasureReason

CODES_PER_HOUR = 5
_ACTIONS: dict[str, str] = {ErasureReason.CONSENT_WITHDRAWN: "privacy.consent_withdraw", ErasureReason.REQUEST: "privacy.erasure_request"}


@dataclass(frozen=True)
class ErasureStarted:
    erasures: list[Erasure]
    account_closed: bool


CODE_PURPOSE = "privacy-erasure-code"


def _code_key(account: Account) -> str:
    # One live code per account at a time (a new one retires the older), so the account names it.
    return f"account:{account.pk}"


def _chosen_people(actor: Account, person_ids: Iterable[int]) -> list[int]:
    wanted = {int(pk) for pk in person_ids}
    if not wanted:
        raise ServiceError(_("Choose at least one person."), fields={"person_ids": _("Choose at least one person.")})
    scope = selectors.erasure_scope(account=actor, person_ids=wanted)
    # Same answer for a missing id and somebody else's person: ids reveal nothing.
    if scope.foreign:
        raise ServiceError(_("Not found."), code="not_found", status=404)
    if scope.own_account:
        message = _("Someone you chose has their own account: only they can erase their data.")
        raise ServiceError(message, code="own_account", fields={"person_ids": message})
    return scope.person_ids


def erasure_code_request(*, actor: Account, person_ids: Iterable[int], reason: str, ip: str = "") -> ErasureCode:
    """Send a one-time code to `actor`'s phone confirming the withdrawal or erasure of `person_ids`.

    The people must be in `actor`'s household; choosing the account holder's own person means
    the whole household (and the account is closed). A new code replaces the previous one.
    """
    if reason not in ErasureReason.values:
        raise ServiceError(_("Unknown request."), fields={"reason": _("Unknown request.")})
    if not actor.phone:
        raise ServiceError(_("Your account has no phone number to send the code to."), code="no_phone")
    people = _chosen_people(actor, person_ids)
    now = timezone.now()
    with transaction.atomic():
        # The account owns its codes: locked, two requests at once cannot both pass the cooldown.
        Account.objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True).first()
        # One pending code per cooldown (a code already used does not hold the next one back),
        # and a cap per hour: each code is an SMS.
        code_send_check(
            ErasureCode, scope={"account": actor, "consumed_at__isnull": True},
            limit_key=f"privacy-code:{actor.pk}", per_hour=CODES_PER_HOUR, now=now,
        )
        challenge, code = code_issue(
            ErasureCode, scope={"account": actor}, key=_code_key(actor), purpose=CODE_PURPOSE,
            ttl=timedelta(seconds=settings.OTP_CODE_TTL_SECONDS), now=now, reason=reason, person_ids=people,
        )
        audit_record(
            actor=actor, action="privacy.erasure_code_sent", obj=challenge, ip=ip,
            data={"reason": reason, "person_ids": people},
        )
        body = _(
            "Khai Bao: your code to ERASE data of %(count)s person(s) is %(code)s. It expires in "
            "%(minutes)s minutes. If you did not ask for this, ignore it."
        ) % {"count": len(people), "code": code, "minutes": settings.OTP_CODE_TTL_SECONDS // 60}
        phone = actor.phone
        transaction.on_commit(lambda: send_sms(to=phone, body=body), robust=True)
    return challenge


def erasure_confirm(*, actor: Account, code_id: int, code: str, ip: str = "") -> ErasureStarted:
    """Check the code; on success stop processing for the chosen people and queue their erasure.

    At most OTP_MAX_ATTEMPTS guesses per code (accounts/one_time_codes.py); a code works once,
    for the account it was sent to, within its TTL.
    """
    code = code_clean(code)
    if not id_in_range(code_id):
        raise code_refused()
    # The guess is counted and committed on its own; the right code is used up with the erasure
    # it starts (`_erasure_start`), so a database failure there (503) leaves it for the retry.
    challenge = code_redeem(
        ErasureCode.objects.filter(pk=code_id, account=actor), key=_code_key(actor), purpose=CODE_PURPOSE,
        code=code, max_attempts=settings.OTP_MAX_ATTEMPTS, consume=False,
    )
    if challenge is None:
        raise code_refused()
    return _erasure_start(actor=actor, challenge=challenge, ip=ip)


@transaction.atomic
def _erasure_start(*, actor: Account, challenge: ErasureCode, ip: str) -> ErasureStarted:
    now = timezone.now()
    if not code_consume(challenge, now=now):
        raise code_refused()  # used meanwhile by a concurrent confirmation: it starts the erasure
    # The household may have changed since the code was sent: only people still in it.
    still = set(household_people(actor).filter(pk__in=challenge.person_ids).values_list("pk", flat=True))
    self_ids = set(
        HouseholdMembership.objects.filter(owner=actor, relation=Relation.SELF).values_list("person_id", flat=True)
    )
    closing = bool(self_ids & still)
    people = list(household_people(actor).filter(pk__in=still).order_by("pk"))
    erasures = []
    for person in people:
        if challenge.reason == ErasureReason.CONSENT_WITHDRAWN:
            ConsentWithdrawal.objects.update_or_create(
                person_id=person.pk,
                defaults={
                    "consent_version": selectors.latest_consent_version(person) or "",
                    "withdrawn_by": actor, "withdrawn_at": now,
                },
            )
        erasing.processing_stop(person=person, now=now)
        erasure = Erasure.objects.create(
            person_id=person.pk, reason=challenge.reason, requested_by=actor, requested_at=now
        )
        erasures.append(erasure)
        audit_record(
            actor=actor, action=_ACTIONS[challenge.reason], obj=erasure, person_id=person.pk, ip=ip,
            data={"erasure_id": erasure.pk},
        )
    erasing.idempotency_forget(actor)
    if closing:
        counts = erasing.account_close(account=actor, now=now)
        audit_record(actor=actor, action="privacy.account_closed", obj=actor, ip=ip, data={"counts": counts})
    ids = [e.pk for e in erasures]

    def enqueue() -> None:
        from khaibao.privacy.tasks import erasure_run

        for erasure_id in ids:
            erasure_run.enqueue(erasure_id)

    transaction.on_commit(enqueue, robust=True)
    return ErasureStarted(erasures=erasures, account_closed=closing)


def _export_audited(*, actor: Account, data: dict[str, Any], action: str, ip: str) -> dict[str, Any]:
    # The audit event names the people exported by id only.
    audit_record(actor=actor, action=action, obj=actor, ip=ip, data={"person_ids": [p["id"] for p in data["people"]]})
    return data


@transaction.atomic
def household_export(*, actor: Account, ip: str = "") -> dict[str, Any]:
    """The household export (people, declarations, daily updates) of `actor`, audited."""
    return _export_audited(actor=actor, data=selectors.household_export_data(account=actor), action="household.export", ip=ip)


@transaction.atomic
def household_data_export(*, actor: Account, ip: str = "") -> dict[str, Any]:
    """Everything stored about `actor` and their household ("my data"), audited."""
    return _export_audited(actor=actor, data=selectors.household_data(account=actor), action="privacy.export", ip=ip)


def erasures_pending_run(*, limit: int = 100) -> int:
    """Run erasures still pending (a worker died after queueing them); returns how many ran."""
    n = 0
    for erasure in selectors.pending_erasures(limit=limit):
        erasing.person_data_erase(erasure=erasure)
        n += 1
    return n
