"""Volunteer appointments: who made a citizen a volunteer, for what, until when.

An organisation admin appoints for a unit of their subtree (orgs.access.subtree_q), a ward
health official for their ward; both see and revoke the appointments they manage. Access
through an appointment (a volunteer's delegations count only while it is in force) is
people/access.py's; the assisted people themselves are people/volunteers.py's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.models import Account, Role, ScopeLevel
from khaibao.accounts.phones import phone_index
from khaibao.audit.services import audit_record
from khaibao.core.errors import RateLimited, ServiceError
from khaibao.core.keyset import KeysetPage, keyset_page
from khaibao.core.params import id_in_range
from khaibao.orgs.access import subtree_q
from khaibao.orgs.models import OrgUnit
from khaibao.people import validators as v
from khaibao.people.models import VolunteerAppointment, active_appointments_q
from khaibao.people.selectors import masked_phone

APPOINTMENT_MAX_DAYS = 366
# The most people one appointment may let a volunteer assist at once (issue 18, item 6).
ASSISTED_MAX = 200
# Phones without a citizen account one appointer may try per hour before appointing pauses: the
# refusal says whether a phone has an account (docs/security.md, "known, audited oracle"), and
# typing mistakes are few; appointing citizens who do have an account never counts.
PHONE_MISSES_PER_HOUR = 10
_MISS_WINDOW = 3600


def appointments_visible_to(user: Any) -> QuerySet[VolunteerAppointment]:
    """Appointments an organisation admin (their subtree) or ward official (their ward) manages."""
    qs = VolunteerAppointment.objects.select_related("account", "org_unit", "ward")
    if getattr(user, "role", None) == Role.ORG_ADMIN and user.org_unit_id:
        return qs.filter(subtree_q(user.org_unit.path, field="org_unit__path"))
    if getattr(user, "role", None) == Role.OFFICIAL and user.scope_level == ScopeLevel.WARD and user.scope_ward_id:
        return qs.filter(ward_id=user.scope_ward_id)
    return qs.none()


def appointments_page(user: Any, *, cursor: str | None = None, limit: int = 200) -> KeysetPage[VolunteerAppointment]:
    """One page of `appointments_visible_to`, newest first (keyset on starts_at, id), with how
    many there are in all."""
    listed = appointments_visible_to(user).order_by("-starts_at", "-pk")
    return keyset_page(listed, cursor=cursor, limit=limit, count=True)


def access_appointment(user: Any, appointment_id: int) -> VolunteerAppointment:
    """An appointment `user` manages, else Http404."""
    if not id_in_range(appointment_id):
        raise Http404
    appointment = appointments_visible_to(user).filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404
    return appointment


def another_appointment_in_force(appointment: VolunteerAppointment) -> bool:
    """Whether the volunteer holds an appointment in force besides `appointment`: their access to
    the people they assist lasts while any does (people.access.is_active_volunteer)."""
    return (
        VolunteerAppointment.objects.filter(active_appointments_q(), account_id=appointment.account_id)
        .exclude(pk=appointment.pk)
        .exists()
    )


def appointable_units_q(user: Any) -> QuerySet[OrgUnit]:
    """The (not archived) units of an org admin's subtree, which they may appoint volunteers for."""
    if getattr(user, "role", None) != Role.ORG_ADMIN or not user.org_unit_id:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(subtree_q(user.org_unit.path), archived_at__isnull=True)


def appointable_units(user: Any) -> list[OrgUnit]:
    """The units of the appointment form, by path."""
    return list(appointable_units_q(user).order_by("path")[:1000])


def appointment_dict(appointment: VolunteerAppointment) -> dict[str, Any]:
    """An appointment for the console and API; the volunteer's phone masked."""
    account = appointment.account
    return {
        "id": appointment.pk,
        "account_id": account.pk,
        "display_name": account.display_name,
        "phone": masked_phone(account.phone or "") or None,
        "org_unit_id": appointment.org_unit_id,
        "ward_code": appointment.ward_id,
        "starts_at": appointment.starts_at,
        "expires_at": appointment.expires_at,
        "revoked_at": appointment.revoked_at,
        "active": appointment.is_active(),
        "max_assisted": appointment.max_assisted or settings.VOLUNTEER_MAX_ASSISTED,
    }


def volunteer_appoint(
    *, actor: Account, phone: str, expires_at: datetime, org_unit_id: int | None = None,
    max_assisted: int | None = None, ip: str = "",
) -> VolunteerAppointment:
    """Make the citizen whose account has exactly `phone` a volunteer until `expires_at`, assisting
    at most `max_assisted` people at once (VOLUNTEER_MAX_ASSISTED when not given; 1 to 200).

    An organisation admin appoints for a unit of their subtree (default: their own unit; a
    unit outside it is 404); a ward health official appoints for their ward. Anyone else: 403.

    A phone without a citizen account is refused (400) — a known oracle, kept because an
    appointment needs an account — and each such refusal is audited (`volunteer.appoint_refused`,
    with the phone's blind index, never the phone). After PHONE_MISSES_PER_HOUR of them an
    appointer is refused (429, audited) whatever the phone, until the hour is over.
    """
    org_unit: OrgUnit | None = None
    ward_id: int | None = None
    if actor.role == Role.ORG_ADMIN and actor.org_unit_id:
        org_unit = appointable_units_q(actor).filter(pk=org_unit_id or actor.org_unit_id).first()
        if org_unit is None:
            raise Http404
    elif actor.role == Role.OFFICIAL and actor.scope_level == ScopeLevel.WARD and actor.scope_ward_id:
        ward_id = actor.scope_ward_id
    else:
        raise ServiceError(_("Only organisation admins and ward health officials appoint volunteers."),
                           code="forbidden", status=403)
    misses_key = f"volunteer-phone-misses:{actor.pk}"
    # Before the lookup, so that once paused the answer no longer depends on the phone.
    if ratelimit.count(misses_key) >= PHONE_MISSES_PER_HOUR:
        audit_record(actor=actor, action="volunteer.appoint_limited", reason="volunteer_appoint", ip=ip,
                     data={"limit": PHONE_MISSES_PER_HOUR})
        raise RateLimited(
            _("Too many phone numbers without an account were tried in the last hour. Try again later."),
            retry_after=_MISS_WINDOW,
        )
    errors: dict[str, str] = {}
    citizen: Account | None = None
    try:
        normalised = v.clean_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]
    else:
        index = phone_index(normalised) if normalised else ""
        citizen = Account.objects.filter(
            phone_index=index, role=Role.CITIZEN, is_active=True
        ).first() if normalised else None
        if citizen is None:
            errors["phone"] = _("No citizen has signed in with this phone number yet.")
        if citizen is None and normalised:
            ratelimit.hit(misses_key, window_seconds=_MISS_WINDOW)
            # Outside any transaction, before the refusal: whoever tries phones shows in the trail.
            audit_record(actor=actor, action="volunteer.appoint_refused", reason="volunteer_appoint", ip=ip,
                         data={"outcome": "no_account", "phone_index": index,
                               "org_unit_id": org_unit.pk if org_unit else None, "ward_id": ward_id})
    now = timezone.now()
    if expires_at <= now:
        errors["expires_at"] = _("The expiry must be in the future.")
    elif expires_at > now + timedelta(days=APPOINTMENT_MAX_DAYS):
        errors["expires_at"] = _("A volunteer is appointed for at most one year at a time.")
    if max_assisted is not None and not 1 <= max_assisted <= ASSISTED_MAX:
        errors["max_assisted"] = _("Give a number from 1 to %(max)s.") % {"max": ASSISTED_MAX}
    if errors:
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields=errors)
    assert citizen is not None
    with transaction.atomic():
        appointment = VolunteerAppointment.objects.create(
            account=citizen, appointed_by=actor, org_unit=org_unit, ward_id=ward_id,
            starts_at=now, expires_at=expires_at, max_assisted=max_assisted or 0,
        )
        audit_record(actor=actor, action="volunteer.appoint", obj=appointment, ip=ip,
                     data={"account_id": citizen.pk, "org_unit_id": appointment.org_unit_id, "ward_id": ward_id})
    return appointment


def volunteer_revoke(*, actor: Account, appointment: VolunteerAppointment, ip: str = "") -> VolunteerAppointment:
    """End `appointment` now (access checked by the caller); the volunteer's delegations stop
    counting at once unless another appointment is still in force."""
    with transaction.atomic():
        if appointment.revoked_at is None:
            appointment.revoked_at = timezone.now()
            appointment.revoked_by = actor
            appointment.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(actor=actor, action="volunteer.revoke", obj=appointment, ip=ip,
                     data={"account_id": appointment.account_id})
    return appointment
