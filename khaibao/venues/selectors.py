"""Reads about venues and check-ins: a citizen's own check-ins, the venues someone runs, the
officials' list, a venue's daily counts (all a venue's operator ever sees of its visitors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from khaibao.accounts.models import Account, Role
from khaibao.core.keyset import KeysetPage, keyset_page
from khaibao.core.params import id_in_range
from khaibao.people.access import household_people, jurisdiction_q, visible_people
from khaibao.venues.models import CheckIn, Venue, VenueExposure, VenueKind, VenueStatus
from khaibao.venues.sealing import venue_index, venue_unseal


@dataclass(frozen=True)
class CheckInRow:
    id: int
    person_id: int
    person_name: str
    venue_id: int
    venue_code: str
    venue_name: str
    venue_address: str
    at: datetime
    via: str


def _rows(checkins: list[CheckIn], known: list[Venue] | None = None) -> list[CheckInRow]:
    venue_ids = {c.pk: venue_unseal(c.venue_sealed) for c in checkins}
    venues = {v.pk: v for v in known or ()}
    missing = set(venue_ids.values()) - set(venues)
    if missing:
        venues |= Venue.objects.select_related("ward").in_bulk(missing)
    rows = []
    for c in checkins:
        venue = venues.get(venue_ids[c.pk])
        rows.append(CheckInRow(
            id=c.pk, person_id=c.person_id, person_name=c.person.full_name, venue_id=venue_ids[c.pk],
            venue_code=venue.code if venue else "", venue_name=venue.name if venue else "",
            venue_address=f"{venue.street}, {venue.ward.name}" if venue else "", at=c.at, via=c.via,
        ))
    return rows


# One keyset page of check-ins as rows (core/keyset.py), with how many the whole list has.
CheckInPage = KeysetPage[CheckInRow]


def _checkin_page(checkins: QuerySet[CheckIn], *, cursor: str | None, limit: int) -> CheckInPage:
    page = keyset_page(checkins.select_related("person").order_by("-at", "-id"), cursor=cursor, limit=limit, count=True)
    return KeysetPage(items=_rows(page.items), next_cursor=page.next_cursor, total=page.total)


def checkins_for_account(
    account: Account, *, cursor: str | None = None, limit: int = 50, now: datetime | None = None,
) -> CheckInPage:
    """One page of the check-ins of `account`'s household (and the people they assist) of the
    last VENUE_CHECKIN_KEEP_DAYS days, newest first (keyset on at, id), with how many there are
    in all — checkin_person_at serves both. A cursor not made for this list raises ServiceError."""
    if account.role != Role.CITIZEN:
        # Officials see check-ins only through a case (their jurisdiction is not their household).
        return _checkin_page(CheckIn.objects.none(), cursor=cursor, limit=limit)
    now = now or timezone.now()
    since = now - timedelta(days=settings.VENUE_CHECKIN_KEEP_DAYS)
    checkins = CheckIn.objects.filter(person__in=visible_people(account).values("pk"), at__gte=since)
    return _checkin_page(checkins, cursor=cursor, limit=limit)


def checkin_for_account(account: Account, checkin_id: int) -> CheckIn:
    """One check-in of `account`'s household, or 404 (the same for missing and not theirs)."""
    if account.role != Role.CITIZEN or not id_in_range(checkin_id):
        raise Http404
    checkin = CheckIn.objects.filter(pk=checkin_id, person__in=visible_people(account).values("pk")).first()
    if checkin is None:
        raise Http404
    return checkin


def checkin_rows(checkins: list[CheckIn], *, venues: list[Venue] | None = None) -> list[CheckInRow]:
    """The rows of `checkins` (with their person attached); `venues` already read (with their ward)
    are not read again."""
    return _rows(checkins, venues)


def person_checkins(person_id: int) -> list[CheckInRow]:
    """Every check-in of a person still kept, newest first (their "My data" export, and the case
    view after the caller's audited access check). Retention bounds the list: nothing is cut off."""
    return _rows(list(CheckIn.objects.filter(person_id=person_id).select_related("person").order_by("-at", "-id")))


def person_checkins_page(
    person_id: int, *, cursor: str | None = None, limit: int = 100,
) -> CheckInPage:
    """One page of `person_checkins` (keyset on at, id) with how many there are in all, for a
    list shown a page at a time. A cursor not made for this list raises ServiceError."""
    return _checkin_page(CheckIn.objects.filter(person_id=person_id), cursor=cursor, limit=limit)


def person_checkin_venue(person_id: int, checkin_id: int) -> tuple[CheckIn, Venue]:
    """One check-in of a person (already fetched through the access layer) and its venue, or 404."""
    checkin = CheckIn.objects.filter(pk=checkin_id, person_id=person_id).first() if id_in_range(checkin_id) else None
    venue = Venue.objects.filter(pk=venue_unseal(checkin.venue_sealed)).first() if checkin else None
    if checkin is None or venue is None:
        raise Http404
    return checkin, venue


def household_choices(account: Account) -> list[tuple[int, str]]:
    """Who of the household can be checked in, self first."""
    people = household_people(account).order_by("households__relation", "pk").values_list("pk", "full_name", "households__relation")
    ordered = sorted(people, key=lambda row: (row[2] != "self", row[0]))
    return [(pk, name) for pk, name, _relation in ordered]


# --- Venues -----------------------------------------------------------------------------------


def venues_run_by(account: Account) -> QuerySet[Venue]:
    """Venues `account` registered — or, for an organisation admin, those of their unit."""
    q = Q(registered_by=account)
    if account.role == Role.ORG_ADMIN and account.org_unit_id:
        q |= Q(org_unit_id=account.org_unit_id)
    # The id breaks ties between venues registered at the same moment (keyset pages need it).
    return Venue.objects.filter(q).select_related("ward__province").order_by("-created_at", "-pk")


def venues_run_by_page(account: Account, *, cursor: str | None = None, limit: int = 200) -> KeysetPage[Venue]:
    """One page of `venues_run_by` after `cursor` (keyset on newest, id) with how many venues
    `account` runs in all."""
    return keyset_page(venues_run_by(account), cursor=cursor, limit=limit, count=True)


def venue_for_operator(account: Account, venue_id: int) -> Venue:
    """A venue `account` runs, or 404."""
    if not id_in_range(venue_id) or account.role not in (Role.CITIZEN, Role.ORG_ADMIN):
        raise Http404
    venue = venues_run_by(account).filter(pk=venue_id).first()
    if venue is None:
        raise Http404
    return venue


def venues_for_official(
    account: Account, *, status: str = "", kind: str = "", ward_code: int | None = None, query: str = "",
) -> QuerySet[Venue]:
    """The venues of an official's jurisdiction, filtered — everyone else sees none."""
    scope = jurisdiction_q(account, ward_field="ward")
    if scope is None:
        return Venue.objects.none()
    venues = Venue.objects.filter(scope).select_related("ward__province", "registered_by")
    if status in VenueStatus.values:
        venues = venues.filter(status=status)
    if kind in VenueKind.values:
        venues = venues.filter(kind=kind)
    if ward_code:
        venues = venues.filter(ward_id=ward_code)
    if query.strip():
        term = query.strip()
        venues = venues.filter(Q(name__icontains=term) | Q(code__iexact=term.replace(" ", "")) | Q(street__icontains=term))
    return venues.order_by("status", "-created_at", "-pk")


def venues_for_official_page(
    account: Account, *, status: str = "", kind: str = "", ward_code: int | None = None, query: str = "",
    cursor: str | None = None, limit: int = 200,
) -> KeysetPage[Venue]:
    """One page of `venues_for_official` after `cursor` (keyset on status, newest, id) with how
    many venues match in all (venue_ward_status serves the area's COUNT)."""
    venues = venues_for_official(account, status=status, kind=kind, ward_code=ward_code, query=query)
    return keyset_page(venues, cursor=cursor, limit=limit, count=True)


def venue_for_official(account: Account, venue_id: int) -> Venue:
    """A venue of the official's jurisdiction, or 404."""
    if not id_in_range(venue_id):
        raise Http404
    venue = venues_for_official(account).filter(pk=venue_id).first()
    if venue is None:
        raise Http404
    return venue


def venue_for_viewer(account: Account, venue_id: int) -> Venue:
    """A venue its operator or an official of its area may open; 404 for everyone else."""
    if account.role == Role.OFFICIAL:
        return venue_for_official(account, venue_id)
    return venue_for_operator(account, venue_id)


def venue_by_code(code: str) -> Venue | None:
    return Venue.objects.select_related("ward__province").filter(code=code).first()


def venue_daily_counts(venue: Venue, *, days: int = 7, today: date | None = None) -> list[tuple[date, int]]:
    """Check-ins per day at `venue` over the last `days` days (oldest first) — the only thing a
    venue's operator learns about its visitors: a count, never who."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    counts = dict(
        CheckIn.objects.filter(venue_index=venue_index(venue.pk), day__gte=first, day__lte=today)
        .values_list("day").annotate(n=Count("id")).values_list("day", "n")
    )
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)]


def venues_checkins_on(venues: list[Venue], *, day: date | None = None) -> dict[int, int]:
    """Check-ins per venue on `day` (today by default), one query for the whole list — a count
    per venue, never who (the venues' list of an organisation admin)."""
    day = day or timezone.localdate()
    by_index = {venue_index(v.pk): v.pk for v in venues}
    if not by_index:
        return {}
    counts = (
        CheckIn.objects.filter(venue_index__in=list(by_index), day=day)
        .values_list("venue_index").annotate(n=Count("id")).values_list("venue_index", "n")
    )
    found = {by_index[index]: n for index, n in counts}
    return {v.pk: found.get(v.pk, 0) for v in venues}


def _exposure_venue_names(exposures: list[VenueExposure]) -> dict[int, str]:
    """The venue's name of each exposure (by exposure id), unsealed: one query for them all."""
    ids = {e.pk: venue_unseal(e.venue_sealed) for e in exposures if e.venue_sealed}
    names = dict(Venue.objects.filter(pk__in=set(ids.values())).values_list("pk", "name")) if ids else {}
    return {pk: names.get(venue_id, "") for pk, venue_id in ids.items()}


def exposures_for_account(account: Account) -> list[dict[str, Any]]:
    """The venue exposures of `account`'s household: "present at {venue} at {time}"."""
    if account.role != Role.CITIZEN:
        return []
    exposures = list(
        VenueExposure.objects.filter(person__in=visible_people(account).values("pk"))
        .select_related("run", "person").defer("run__venue_ids").order_by("-checked_in_at")[:50]
    )
    names = _exposure_venue_names(exposures)
    return [
        {"person": e.person.full_name, "venue": names.get(e.pk, ""), "at": e.checked_in_at, "label": e.run.label}
        for e in exposures
    ]


def exposures_of(person_id: int) -> list[dict[str, Any]]:
    """A person's venue exposures (for their own status page and the case view)."""
    exposures = list(
        VenueExposure.objects.filter(person_id=person_id).select_related("run").defer("run__venue_ids")
        .order_by("-checked_in_at")
    )
    names = _exposure_venue_names(exposures)
    return [
        {"venue": names.get(e.pk, ""), "at": e.checked_in_at, "label": e.run.label, "kind": e.run.kind}
        for e in exposures
    ]
