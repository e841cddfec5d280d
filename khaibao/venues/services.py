"""Writes about venues and check-ins: register, verify or suspend, check in, delete a check-in.

Each service is one transaction with its audit event. The audit events of check-ins name the
person and never the venue: where someone was is health data (docs/venues.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.models import Account, Role
from khaibao.accounts.phones import normalise_vn_phone
from khaibao.audit.labels import object_type_of
from khaibao.audit.services import audit_event, audit_record
from khaibao.core import rowsql
from khaibao.core.errors import RateLimited, ServiceError
from khaibao.core.params import id_in_range
from khaibao.people.access import access_person_for_declarer
from khaibao.people.households import owner_self_person
from khaibao.places.models import Ward
from khaibao.reports.services import point_errors
from khaibao.venues import statements
from khaibao.venues.models import CheckIn, CheckInVia, Venue, VenueKind, VenueStatus
from khaibao.venues.sealing import venue_index, venue_seal

# No 0/O, 1/I/L: the code is typed from a poster and texted from feature phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class VenueInput:
    name: str
    kind: str
    ward_code: int | None
    street: str
    contact_phone: str = ""
    lat: float | None = None
    lon: float | None = None


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_normalise(raw: str) -> str:
    """A code as typed (spaces, dashes, lower case, a poster URL's last part) → the stored form."""
    value = (raw or "").strip().rstrip("/").rsplit("/", 1)[-1]
    return "".join(ch for ch in value.upper() if ch.isalnum())


def _venue_fields(data: VenueInput) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _("Enter the venue's name.")
    elif len(name) > 200:
        errors["name"] = _("The name is too long (at most 200 characters).")
    if data.kind not in VenueKind.values:
        errors["kind"] = _("Choose the kind of venue from the list.")
    ward = Ward.objects.select_related("province").filter(pk=data.ward_code).first() if data.ward_code else None
    if ward is None:
        errors["ward_code"] = _("Choose the ward where the venue is.")
    street = (data.street or "").strip()
    if not street:
        errors["street"] = _("Enter the street address (house number, street).")
    elif len(street) > 300:
        errors["street"] = _("The address is too long (at most 300 characters).")
    phone = ""
    if (data.contact_phone or "").strip():
        try:
            phone = normalise_vn_phone(data.contact_phone)
        except ValidationError as exc:
            errors["contact_phone"] = exc.messages[0]
    # A venue's map point follows a report's rule: both or neither, inside Viet Nam.
    errors.update(point_errors(data.lat, data.lon))
    values = {"name": name, "kind": data.kind, "ward": ward, "street": street, "contact_phone": phone,
              "lat": data.lat, "lon": data.lon}
    return values, errors


@transaction.atomic
def venue_register(*, actor: Account, data: VenueInput, ip: str = "") -> Venue:
    """Register a venue (đăng ký địa điểm): a citizen who runs it, or an organisation admin for
    their unit. It gets a short code at once and can be checked in at while officials of its
    ward or province have not verified it yet; they may suspend it."""
    if actor.role not in (Role.CITIZEN, Role.ORG_ADMIN):
        raise ServiceError(_("Only the person who runs a venue or an organisation can register it."),
                           code="forbidden", status=403)
    values, errors = _venue_fields(data)
    if errors:
        raise ServiceError(_("Check the venue's details."), fields=errors)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                venue = Venue.objects.create(
                    code=_new_code(), registered_by=actor,
                    org_unit_id=actor.org_unit_id if actor.role == Role.ORG_ADMIN else None, **values,
                )
            break
        except IntegrityError:  # the code was taken: draw another
            continue
    else:  # pragma: no cover - 31^6 codes
        raise ServiceError(_("Could not give the venue a code; try again."), code="busy", status=503)
    audit_record(actor=actor, action="venue.register", obj=venue, ip=ip,
                 data={"kind": venue.kind, "ward": venue.ward_id, "point": venue.has_point})
    return venue


@transaction.atomic
def venue_status_set(*, actor: Account, venue: Venue, status: str, ip: str = "") -> Venue:
    """Verify, suspend or reinstate a venue. `venue` was fetched with
    `selectors.venue_for_official` (the actor's jurisdiction). A suspended venue's code is refused."""
    if status not in VenueStatus.values:
        raise ServiceError.for_field("status", _("Choose verified, suspended or not yet verified."))
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    if venue.status == status:
        return venue
    before = venue.status
    venue.status, venue.status_changed_by, venue.status_changed_at = status, actor, timezone.now()
    venue.save(update_fields=["status", "status_changed_by", "status_changed_at"])
    audit_record(actor=actor, action=f"venue.{status}", obj=venue, ip=ip, data={"from": before})
    return venue


def venue_for_checkin(code: str) -> Venue:
    """The venue a code names, or a 404 refusal that says so (also for a suspended venue)."""
    # One precompiled statement: every check-in of the country starts here (core/rowsql).
    venue = rowsql.fetch_related(Venue, "ward", "a.code = %s", [code_normalise(code)])
    if venue is None or venue.status == VenueStatus.SUSPENDED:
        raise ServiceError(
            _("No venue has this code, or it is no longer open for check-in. Check the code on the poster."),
            code="venue_not_found", fields={"venue_code": _("Unknown or suspended venue code.")}, status=404,
        )
    return venue


def _checked_at(at: datetime | None, now: datetime) -> datetime:
    if at is None:
        return now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + CLOCK_SKEW:
        raise ServiceError.for_field("at", _("The check-in time cannot be in the future."))
    if at < now - timedelta(hours=settings.VENUE_CHECKIN_MAX_AGE_HOURS):
        raise ServiceError.for_field(
            "at", _("This check-in is too old to be recorded (more than %(hours)d hours ago).")
            % {"hours": settings.VENUE_CHECKIN_MAX_AGE_HOURS},
        )
    return at


def _asked(actor: Account, person_ids: list[int] | None) -> list[int]:
    """The people asked for, distinct and in order (default: the actor's own person); access is
    checked later, by the write."""
    if not person_ids:
        person = owner_self_person(actor)
        if person is None:
            raise ServiceError.for_field(
                "person_ids", _("Add yourself to your household first, then check in."), code="no_self"
            )
        return [person.pk]
    if len(set(person_ids)) > 20:
        raise ServiceError.for_field("person_ids", _("Check in at most 20 people at once."))
    return list(dict.fromkeys(person_ids))


def _rate_limit(actor: Account, count: int) -> None:
    # One event per person, counted in one round trip to the shared cache.
    hits, _peeks = ratelimit.hits_and_counts(hit=[f"venue-checkin:{actor.pk}"] * count, window_seconds=60)
    if hits[-1] > settings.VENUE_CHECKIN_RATE_PER_MINUTE:
        raise RateLimited(_("Too many check-ins in a minute. Wait a moment and try again."), retry_after=60)


@dataclass(frozen=True)
class CheckInResult:
    checkin: CheckIn
    venue: Venue
    created: bool


def checkin_create(
    *, actor: Account, venue_code: str, person_ids: list[int] | None = None, at: datetime | None = None,
    via: str = CheckInVia.SCAN, ip: str = "",
) -> list[CheckInResult]:
    """Check people of the actor's household in at a venue (one row per person, each with its
    audit event, all in one transaction).

    `at` (an offline check-in keeps the time of the scan) may not be in the future nor older
    than VENUE_CHECKIN_MAX_AGE_HOURS. A second check-in of the same person at the same venue
    within VENUE_CHECKIN_REPEAT_MINUTES is the same check-in: the existing row is returned.
    Each person asked counts towards VENUE_CHECKIN_RATE_PER_MINUTE, also one refused as not
    of the household. On PostgreSQL the write is one statement (venues/statements.py).
    """
    if actor.role != Role.CITIZEN:
        raise ServiceError(_("Only citizens check in."), code="forbidden", status=403)
    now = timezone.now()
    venue = venue_for_checkin(venue_code)
    at = _checked_at(at, now)
    ids = _asked(actor, person_ids)
    _rate_limit(actor, len(ids))
    template = CheckIn(
        account=actor, venue_index=venue_index(venue.pk), venue_sealed=venue_seal(venue.pk), at=at,
        day=timezone.localdate(at), via=via, created_at=now,
    )
    repeat = timedelta(minutes=settings.VENUE_CHECKIN_REPEAT_MINUTES)
    if statements.checkins_in_one_statement() and all(id_in_range(pid) for pid in ids):
        event = audit_event(actor=actor, action="checkin.create", ip=ip, data={"via": via})
        event.object_type = object_type_of(template)
        written = statements.checkin_write(
            actor=actor, venue_id=venue.pk, template=template, person_ids=ids, since=at - repeat, until=at + repeat,
            event=event,
        )
        if written is not None:
            return [CheckInResult(w.checkin, venue, w.created) for w in written]
        # Someone is not of the household (or is assisted: the access layer's volunteer route),
        # or the venue was suspended meanwhile: the portable path answers as it always does.
        venue = venue_for_checkin(venue_code)
    with transaction.atomic():
        return _create_portable(actor=actor, venue=venue, template=template, ids=ids, repeat=repeat, ip=ip)


def _create_portable(
    *, actor: Account, venue: Venue, template: CheckIn, ids: list[int], repeat: timedelta, ip: str
) -> list[CheckInResult]:
    # The access layer's 404 for someone not in the household (or not assisted by the volunteer).
    people = [access_person_for_declarer(actor, pid) for pid in ids]
    at = template.at
    existing = {
        c.person_id: c  # the latest in the window (the highest id on a tie), as the one statement
        for c in CheckIn.objects.filter(
            person__in=people, venue_index=template.venue_index, at__gte=at - repeat, at__lte=at + repeat
        ).order_by("at", "id")
    }
    results = []
    for person in people:
        found = existing.get(person.pk)
        if found is not None:
            found.person = person
            results.append(CheckInResult(found, venue, False))
            continue
        checkin = CheckIn.objects.create(
            person=person, account=actor, venue_index=template.venue_index, venue_sealed=template.venue_sealed,
            at=at, day=template.day, via=template.via, created_at=template.created_at,
        )
        audit_record(
            actor=actor, action="checkin.create", obj=checkin, person_id=person.pk, ip=ip, data={"via": template.via}
        )
        results.append(CheckInResult(checkin, venue, True))
    return results


@transaction.atomic
def checkin_delete(*, actor: Account, checkin: CheckIn, ip: str = "") -> None:
    """Delete one of the actor's household's check-ins (fetched with `selectors.checkin_for_account`)."""
    person_id = checkin.person_id
    audit_record(actor=actor, action="checkin.delete", obj=checkin, person_id=person_id, ip=ip)
    checkin.delete()
