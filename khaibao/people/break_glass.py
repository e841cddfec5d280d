""""Break the glass" (mở khẩn cấp): an official opens a person outside their jurisdiction.

Only by an exact search (ID number or phone, through the blind indexes — never a name
search outside the jurisdiction), only with a stated reason, for 24 hours, audited, and
reviewed afterwards by a national official. people.access honours the grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, BreakGlassGrant, Role, ScopeLevel
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.people import validators as v
from khaibao.people.access import jurisdiction_q
from khaibao.people.models import Person
from khaibao.people.persons import person_lookup_indexes

GRANT_HOURS = 24
REASON_MIN, REASON_MAX = 10, 1000
NOTE_MAX = 1000
REVIEW_PAGE = 50


def _official(actor: Any) -> Account:
    if getattr(actor, "role", None) != Role.OFFICIAL:
        raise ServiceError(_("Only health officials can do this."), code="officials_only", status=403)
    return actor  # type: ignore[no-any-return]


def _national(actor: Any) -> Account:
    official = _official(actor)
    if official.scope_level != ScopeLevel.NATIONAL:
        raise ServiceError(
            _("Only national officials review break-glass access."), code="national_only", status=403
        )
    return official


@dataclass(frozen=True)
class SearchResult:
    """Just enough to tell the official they found the right person — no health data."""

    person_id: int
    initials: str
    birth_year: int
    ward_name: str
    province_name: str
    in_jurisdiction: bool


def clean_search(*, id_number: str = "", phone: str = "") -> tuple[str, str]:
    """("id_number" | "phone", canonical value), or ServiceError with a field message."""
    id_number, phone = (id_number or "").strip(), (phone or "").strip()
    if bool(id_number) == bool(phone):
        raise ServiceError(
            _("Search by exactly one of: ID number or phone number."), code="invalid",
            fields={"id_number": _("Give the ID number or the phone number (one of them).")},
        )
    try:
        if id_number:
            return "id_number", v.clean_id_number(id_number)
        return "phone", v.clean_phone(phone)
    except ValidationError as exc:
        field = "id_number" if id_number else "phone"
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields={field: exc.messages[0]}) from exc


def _lookup_index(by: str, value: str) -> dict[str, str]:
    """The blind index of the searched value (`by`: "id_number" or "phone"), as every audited
    look-up names it (people.persons.person_lookup_indexes)."""
    return person_lookup_indexes(**{by: value})


def _matches(by: str, value: str) -> list[Person]:
    qs = Person.objects.filter(**_lookup_index(by, value))
    return list(qs.select_related("home_ward__province").order_by("id")[:20])


def break_glass_search(*, actor: Account, by: str, value: str, ip: str = "") -> list[SearchResult]:
    """The people whose ID number or phone is exactly `value` (`by` from `clean_search`).

    Audited whether or not anyone is found; the audit names the kind of search, the blind
    index of the searched value (people.persons.person_lookup_indexes, as the refused opens do)
    and the people found by id — never the value itself. A search that finds no one is thus no
    silent way to test numbers: the data-protection officer can tell which number was tried.
    """
    official = _official(actor)
    people = _matches(by, value)
    scope = jurisdiction_q(official)
    inside: set[int] = set()
    if people and scope is not None:
        inside = set(
            Person.objects.filter(scope, pk__in=[p.pk for p in people]).values_list("pk", flat=True)
        )
    audit_record(
        actor=official, action="break_glass.search", ip=ip,
        # "people": the key a list's ids are under, so the DPO's search by person finds this search.
        data={"by": by, "found": [p.pk for p in people], "people": [p.pk for p in people], **_lookup_index(by, value)},
    )
    return [
        SearchResult(
            person_id=p.pk,
            initials=p.initials,
            birth_year=p.birth_year,
            ward_name=p.home_ward.name,
            province_name=p.home_ward.province.name,
            in_jurisdiction=p.pk in inside,
        )
        for p in people
    ]


def clean_reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if len(text) < REASON_MIN:
        raise ServiceError(
            _("Say why you need to open this person's record (at least %(min)d characters).") % {"min": REASON_MIN},
            code="invalid",
            fields={"reason": _("Write the reason in at least %(min)d characters.") % {"min": REASON_MIN}},
        )
    if len(text) > REASON_MAX:
        raise ServiceError(
            _("Some fields are not valid."), code="invalid",
            fields={"reason": _("At most %(max)d characters.") % {"max": REASON_MAX}},
        )
    return text


def break_glass_open(*, actor: Account, by: str, value: str, person_id: int | None, reason: str, ip: str = "") -> tuple[Person, BreakGlassGrant | None]:
    """Open a person found by the exact search (`by`, `value`) for 24 hours, on `reason`.

    `person_id` chooses among several people sharing a phone; it must be one of the search's
    results, so no id outside the search can be opened. Returns (person, grant); the grant is
    None when the person is already inside the official's jurisdiction (nothing to break).
    The grant is audited and waits for a national official's review.
    """
    official = _official(actor)
    clean = clean_reason(reason)
    people = _matches(by, value)
    if person_id is not None:
        people = [p for p in people if p.pk == person_id]
    if len(people) != 1:
        # A failed attempt is recorded too: otherwise the call would be a silent way to learn
        # whether a number is registered anywhere in the country.
        audit_record(
            actor=official, action="break_glass.open_refused", ip=ip, reason="break_glass",
            data={"by": by, "matches": len(people), **_lookup_index(by, value)},
        )
    if not people:
        raise ServiceError(_("No one is registered with this number."), code="not_found", status=404)
    if len(people) > 1:
        raise ServiceError(
            _("Several people share this phone number. Search by ID number, or choose the person."),
            code="ambiguous", status=409,
        )
    person = people[0]
    scope = jurisdiction_q(official)
    if scope is not None and Person.objects.filter(scope, pk=person.pk).exists():
        return person, None
    now = timezone.now()
    # Not atomic as a whole: a refused attempt's audit row (above) must survive the refusal.
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            official=official, person=person, reason=clean, granted_at=now,
            expires_at=now + timedelta(hours=GRANT_HOURS),
        )
        # The reason stays in the encrypted grant: free text may name people or health facts.
        audit_record(
            actor=official, action="break_glass.grant", obj=grant, person_id=person.pk, ip=ip,
            reason="break_glass", data={"grant_id": grant.pk, "by": by, "expires_at": grant.expires_at.isoformat()},
        )
    return person, grant


@dataclass(frozen=True)
class GrantRow:
    id: int
    official: str
    official_scope: str
    person_initials: str
    person_ward: str
    granted_at: datetime
    expires_at: datetime
    active: bool
    reason: str


def grants_to_review(*, actor: Account, before: int | None = None, limit: int = REVIEW_PAGE) -> list[GrantRow]:
    """Unreviewed break-glass grants, newest first, for a national official — one query.

    Keyset pagination on the id (`before`). The person appears by initials only.
    """
    _national(actor)
    qs = BreakGlassGrant.objects.filter(reviewed_at__isnull=True)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    now = timezone.now()
    rows = qs.select_related(
        "official__scope_province", "official__scope_ward", "person__home_ward__province"
    ).order_by("-id")[:limit]
    result = []
    for g in rows:
        o = g.official
        scope = o.scope_ward.name if o.scope_ward else (o.scope_province.name if o.scope_province else "")
        ward = g.person.home_ward
        result.append(
            GrantRow(
                id=g.pk, official=str(o), official_scope=scope, person_initials=g.person.initials,
                person_ward=f"{ward.name}, {ward.province.name}", granted_at=g.granted_at,
                expires_at=g.expires_at, active=g.expires_at > now, reason=g.reason,
            )
        )
    return result


@transaction.atomic
def break_glass_review(*, actor: Account, grant_id: int, note: str = "", ip: str = "") -> BreakGlassGrant:
    """Mark a grant reviewed by a national official, with an optional note. Audited."""
    reviewer = _national(actor)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ServiceError(
            _("Some fields are not valid."), code="invalid", fields={"note": _("At most %(max)d characters.") % {"max": NOTE_MAX}}
        )
    grant = BreakGlassGrant.objects.select_for_update().filter(pk=grant_id).first()
    if grant is None:
        raise ServiceError(_("Not found."), code="not_found", status=404)
    if grant.reviewed_at is not None:
        raise ServiceError(_("This access was already reviewed."), code="already_reviewed", status=409)
    grant.reviewed_by = reviewer
    grant.reviewed_at = timezone.now()
    grant.review_note = note
    grant.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        actor=reviewer, action="break_glass.review", obj=grant, person_id=grant.person_id, ip=ip,
        data={"grant_id": grant.pk},
    )
    return grant
