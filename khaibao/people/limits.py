"""Limits a real household has (issue 18, item 6).

One account once added 250 household members. A household holds at most HOUSEHOLD_MAX_PEOPLE
people (20) unless a health official of the owner's area raised it, for a stated reason, audited
(`household_limit_raise`); a volunteer assists at most the number their appointment allows
(`VolunteerAppointment.max_assisted`, VOLUNTEER_MAX_ASSISTED by default). Both checks take the
owner's (or volunteer's) account row lock, so two adds at once cannot both pass the last place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.people.access import jurisdiction_q
from khaibao.people.models import (
    CONSENTED,
    ConsentMethod,
    Delegation,
    HouseholdLimit,
    HouseholdMembership,
    Person,
    VolunteerAppointment,
    active_appointments_q,
)

# An official may raise a household to this at most (a care home, a pagoda's residents).
HOUSEHOLD_RAISE_MAX = 200
RAISE_REASON_MIN = 10


def _limit(raised: int | None) -> int:
    return max(int(settings.HOUSEHOLD_MAX_PEOPLE), int(raised or 0))


def household_max(owner: Account) -> int:
    raised = HouseholdLimit.objects.filter(owner=owner).values_list("max_people", flat=True).first()
    return _limit(raised)


@dataclass(frozen=True)
class HouseholdRoom:
    owner_id: int
    people: int
    max_people: int
    raised: bool


def household_rooms(person: Person) -> list[HouseholdRoom]:
    """Each household `person` belongs to: how many people it holds and its limit (for the
    official's case view, after the caller's audited access) — three queries."""
    owners = list(HouseholdMembership.objects.filter(person=person).order_by("owner_id").values_list("owner_id", flat=True))
    if not owners:
        return []
    counts = dict(
        HouseholdMembership.objects.filter(owner_id__in=owners).values("owner_id").annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    raised = dict(HouseholdLimit.objects.filter(owner_id__in=owners).values_list("owner_id", "max_people"))
    return [
        HouseholdRoom(owner_id=o, people=counts.get(o, 0), max_people=_limit(raised.get(o)),
                      raised=_limit(raised.get(o)) > int(settings.HOUSEHOLD_MAX_PEOPLE))
        for o in owners
    ]


def household_limit_errors(*, max_people: int | None, reason: str) -> dict[str, str]:
    """What is wrong with a raise (field -> message); empty when it may go ahead. The console
    asks before its confirmation step; `household_limit_raise` checks again."""
    errors: dict[str, str] = {}
    if max_people is None or not int(settings.HOUSEHOLD_MAX_PEOPLE) < max_people <= HOUSEHOLD_RAISE_MAX:
        errors["max_people"] = _("Give a number from %(min)s to %(max)s.") % {
            "min": int(settings.HOUSEHOLD_MAX_PEOPLE) + 1, "max": HOUSEHOLD_RAISE_MAX,
        }
    if len((reason or "").strip()) < RAISE_REASON_MIN:
        errors["reason"] = _("Say why the household needs more places (at least 10 characters).")
    return errors


def household_room_check(owner: Account) -> None:
    """Inside the add's transaction: refuse (409 `household_full`) when the household is full."""
    Account.objects.select_for_update().filter(pk=owner.pk).values_list("pk", flat=True).first()
    limit = household_max(owner)
    if HouseholdMembership.objects.filter(owner=owner).count() >= limit:
        message = _(
            "A household can have at most %(max)s people. If yours is larger, ask your ward health station "
            "to raise the limit."
        ) % {"max": limit}
        raise ServiceError(message, code="household_full", fields={"household": message}, status=409)


def assisted_max(volunteer: Account) -> int:
    """The most people `volunteer` may assist at once: the largest of their active appointments."""
    default = int(settings.VOLUNTEER_MAX_ASSISTED)
    allowed = VolunteerAppointment.objects.filter(active_appointments_q(), account=volunteer).values_list(
        "max_assisted", flat=True
    )
    # 0: the appointment did not say, so the default.
    return max((int(n) or default for n in allowed), default=default)


def consent_code_ttl() -> timedelta:
    """How long a consent code is valid: the one-time codes' lifetime (settings.OTP_CODE_TTL_SECONDS)."""
    return timedelta(seconds=settings.OTP_CODE_TTL_SECONDS)


def pending_consent_lapse() -> timedelta:
    """How long after its last consent code was sent a delegation still waiting for consent
    holds on: the code's lifetime, then VOLUNTEER_PENDING_CONSENT_DAYS for the volunteer to
    come back and send a new one. Past it the registration lapses (retention ends it and erases
    the person nobody else looks after: privacy/retention.py)."""
    return consent_code_ttl() + timedelta(days=settings.VOLUNTEER_PENDING_CONSENT_DAYS)


def _pending_since(now: datetime) -> datetime:
    # A pending delegation's `consent_recorded_at` is when its last consent code was sent
    # (people.volunteers: set at registration and on every new code).
    return now - pending_consent_lapse()


def delegation_holds_place_q(now: datetime | None = None) -> Q:
    """Delegations that take one of their volunteer's places (the appointment's cap): not
    ended, and consented — or still waiting for a consent code that is live or within the
    grace after it (`pending_consent_lapse`). The one rule for "a pending delegation still
    holds a place"; `pending_delegations_lapsed` is its complement among pending ones."""
    since = _pending_since(now or timezone.now())
    return Q(ended_at__isnull=True) & (
        Q(consent_method__in=CONSENTED)
        | Q(consent_method=ConsentMethod.PENDING_CODE, consent_recorded_at__gte=since)
    )


def pending_delegations_lapsed(now: datetime | None = None) -> QuerySet[Delegation]:
    """Delegations still waiting for consent (not ended) whose last code expired more than
    VOLUNTEER_PENDING_CONSENT_DAYS ago: the person never agreed, and the volunteer did not
    come back. Retention ends them (privacy/retention.py)."""
    since = _pending_since(now or timezone.now())
    return Delegation.objects.filter(
        ended_at__isnull=True, consent_method=ConsentMethod.PENDING_CODE, consent_recorded_at__lt=since
    )


def assisted_room_check(volunteer: Account) -> None:
    """Inside the registration's transaction: refuse (409 `assisted_full`) at the appointment's cap.
    A pending delegation counts while its code is live or within the grace after it
    (`delegation_holds_place_q`): a code sent is a place taken until it lapses or ends."""
    Account.objects.select_for_update().filter(pk=volunteer.pk).values_list("pk", flat=True).first()
    limit = assisted_max(volunteer)
    current = Delegation.objects.filter(delegation_holds_place_q(), volunteer=volunteer).count()
    if current >= limit:
        message = _(
            "You already assist %(max)s people, the most your appointment allows. Stop assisting someone, "
            "or ask whoever appointed you to raise it."
        ) % {"max": limit}
        raise ServiceError(message, code="assisted_full", fields={"volunteer": message}, status=409)


@transaction.atomic
def household_limit_raise(*, actor: Any, person: Person, max_people: int, reason: str, ip: str = "") -> int:
    """Let the household(s) `person` belongs to hold up to `max_people` (a health official whose
    jurisdiction covers the person; 404 otherwise, alike for missing). Returns households changed.
    Audited `household.limit_raise` with the reason (encrypted in the trail)."""
    if getattr(actor, "role", None) != Role.OFFICIAL or jurisdiction_q(actor) is None:
        raise ServiceError(_("Only health officials raise a household's limit."), code="forbidden", status=403)
    errors = household_limit_errors(max_people=max_people, reason=reason)
    if errors:
        raise ServiceError(_("Some fields are not valid."), fields=errors)
    reason = (reason or "").strip()
    owners = list(HouseholdMembership.objects.filter(person=person).values_list("owner_id", flat=True))
    for owner_id in owners:
        HouseholdLimit.objects.update_or_create(
            owner_id=owner_id, defaults={"max_people": max_people, "raised_by": actor, "reason": reason[:300]}
        )
    audit_record(
        actor=actor, action="household.limit_raise", obj=person, person_id=person.pk, reason=reason, ip=ip,
        data={"max_people": max_people, "owners": owners},
    )
    return len(owners)
