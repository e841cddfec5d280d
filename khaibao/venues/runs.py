"""Starting venue exposure runs (issue 20 §3): which venues a subject covers, and when.

A run's subject is a place notice with a time window, an epidemic zone version, or a case's
recorded visit. The zones app calls `area_published` (settings.AREA_PUBLISHED_HOOKS) in the
transaction that publishes a version that warns; an official records a case's visit with
`case_visit_put` (once per case, venue and period: a repeat returns the first run). Either creates a `VenueExposureRun` over the venues the subject covers and
its window, and queues the job (exposure.py) after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.people.access import access_person_for_user
from khaibao.venues.exposure import case_visit_present_count
from khaibao.venues.models import CaseVisit, RunKind, Venue, VenueExposureRun
from khaibao.venues.sealing import venue_seal, venue_unseal
from khaibao.venues.tasks import venue_exposure_run
from khaibao.zones.geometry import Area, polygon_parse
from khaibao.zones.models import PlaceVersion, ZoneVersion

# --- Which venues a subject covers -------------------------------------------------------------


def _venues_in_area(area: Area, base: Q) -> set[int]:
    """Venues with a point inside `area` (a bounding box in SQL, the exact test in Python)."""
    bounds = area.bounds
    if bounds is None:
        return set()
    min_lon, min_lat, max_lon, max_lat = bounds
    candidates = Venue.objects.filter(
        base, lat__gte=min_lat, lat__lte=max_lat, lon__gte=min_lon, lon__lte=max_lon
    ).values_list("pk", "lat", "lon")
    return {pk for pk, lat, lon in candidates if lat is not None and lon is not None and area.distance_m(lat, lon) == 0}


def venues_of_place(version: PlaceVersion) -> set[int]:
    """Venues in the place's ward, or whose point is within its radius of its point."""
    base = Q(ward__province_id=version.place.province_id)
    ids: set[int] = set()
    if version.ward_id is not None:
        ids |= set(Venue.objects.filter(ward_id=version.ward_id).values_list("pk", flat=True))
    if version.lat is not None and version.lon is not None:
        ids |= _venues_in_area(Area(circle=(version.lat, version.lon, float(version.radius_m))), base)
    return ids


def venues_of_zone(version: ZoneVersion) -> set[int]:
    """Venues in the zone's wards (or province) or whose point is in its circle or polygon."""
    province_id = version.zone.province_id
    ids: set[int] = set()
    if version.whole_province:
        ids |= set(Venue.objects.filter(ward__province_id=province_id).values_list("pk", flat=True))
    ward_codes = [w.pk for w in version.wards.all()]
    if ward_codes:
        ids |= set(Venue.objects.filter(ward_id__in=ward_codes).values_list("pk", flat=True))
    circle = None
    if version.circle_lat is not None and version.circle_lon is not None and version.circle_radius_m is not None:
        circle = (version.circle_lat, version.circle_lon, float(version.circle_radius_m))
    polygon = polygon_parse(version.polygon) if version.polygon else None
    if circle is not None or polygon is not None:
        ids |= _venues_in_area(Area(circle=circle, polygon=polygon), Q(ward__province_id=province_id))
    return ids


# --- Starting runs ---------------------------------------------------------------------------------


def _run_create(
    *, subject: str, kind: str, label: str, venue_ids: set[int], start: datetime, end: datetime, actor: Account | None,
) -> VenueExposureRun | None:
    if not venue_ids or end < start:
        return None
    run, created = VenueExposureRun.objects.get_or_create(
        subject=subject,
        defaults={"kind": kind, "label": label[:300], "venue_ids": sorted(venue_ids), "window_start": start,
                  "window_end": end, "created_by": actor},
    )
    if created:
        run_id = run.pk
        transaction.on_commit(lambda: _enqueue(run_id), robust=True)
    return run


def _enqueue(run_id: int) -> None:
    venue_exposure_run.enqueue(run_id)


def area_published(*, actor: Account | None, place_version: PlaceVersion | None = None,
                   zone_version: ZoneVersion | None = None) -> VenueExposureRun | None:
    """Hook (settings.AREA_PUBLISHED_HOOKS), called by the zones app in the transaction that
    publishes a place or zone version that warns: start the run over the venues it covers."""
    now = timezone.now()
    if place_version is not None:
        return _run_create(
            subject=f"place-version:{place_version.pk}", kind=RunKind.PLACE, label=place_version.name,
            venue_ids=venues_of_place(place_version), start=place_version.window_start,
            end=min(place_version.window_end, now), actor=actor,
        )
    if zone_version is not None:
        # A zone reaches check-ins made while it was in force, at most VENUE_ZONE_LOOKBACK_DAYS back.
        start = max(zone_version.valid_from, now - timedelta(days=settings.VENUE_ZONE_LOOKBACK_DAYS))
        end = min(zone_version.valid_until or now, now)
        return _run_create(
            subject=f"zone-version:{zone_version.pk}", kind=RunKind.ZONE, label=zone_version.name,
            venue_ids=venues_of_zone(zone_version), start=start, end=end, actor=actor,
        )
    return None


# A visit recorded while it lasted is cut at that moment (`case_visit_put`); its `created_at`
# is that moment, or — in a row written before it was — a few microseconds after.
_CUT_SLACK = timedelta(seconds=1)


def case_visit_period_errors(*, start: datetime, end: datetime, now: datetime) -> dict[str, str]:
    """What is wrong with a case's visit from `start` to `end` (field → message), or nothing:
    a visit is in the past and within the days check-ins are kept."""
    errors: dict[str, str] = {}
    if end < start:
        errors["end"] = _("The end must not be before the start.")
    if start > now:
        errors["start"] = _("The start cannot be in the future.")
    if start < now - timedelta(days=settings.VENUE_CHECKIN_KEEP_DAYS):
        errors["start"] = _("Check-ins are kept %(days)d days: the start must be within them.") % {
            "days": settings.VENUE_CHECKIN_KEEP_DAYS}
    return errors


def case_visit_same(*, person_id: int, venue: Venue, start: datetime, end: datetime) -> CaseVisit | None:
    """The visit of this case at this venue over this period if one was recorded already — the
    same start, and the same end or the end cut at the moment it was recorded (a visit still
    going on then). The venue is sealed: compared in Python, over the case's visits from `start`."""
    for visit in CaseVisit.objects.filter(case_person_id=person_id, start=start).order_by("pk"):
        if visit.venue_sealed is None or venue_unseal(visit.venue_sealed) != venue.pk:
            continue
        if visit.end == end or (visit.end < end and visit.created_at - visit.end < _CUT_SLACK):
            return visit
    return None


@dataclass(frozen=True)
class CaseVisitPreview:
    """What recording a case's visit would do, for the official's confirmation."""

    start: datetime
    end: datetime  # cut at now, as it would be recorded
    existing: CaseVisit | None  # recorded already: nothing more would be sent
    present: int  # people checked in meanwhile who would be warned (0 when `existing`)


def case_visit_preview(*, person_id: int, venue: Venue, start: datetime, end: datetime) -> CaseVisitPreview:
    """What `case_visit_put` would do with the same arguments now (the period checked first by
    the caller with `case_visit_period_errors`; the case fetched through the access layer)."""
    cut = min(end, timezone.now())
    existing = case_visit_same(person_id=person_id, venue=venue, start=start, end=end)
    present = 0 if existing else case_visit_present_count(venue_id=venue.pk, start=start, end=cut, case_person_id=person_id)
    return CaseVisitPreview(start=start, end=existing.end if existing else cut, existing=existing, present=present)


@transaction.atomic
def case_visit_put(
    *, actor: Account, venue: Venue, person_id: int, start: datetime, end: datetime, ip: str = "",
) -> tuple[VenueExposureRun, bool]:
    """Record that a case was at `venue` from `start` to `end`, and start the run that warns
    everyone checked in there meanwhile; True with the run when it was recorded now. Recorded
    already (`case_visit_same`: a repeated form, a double click), the existing visit's run comes
    back with False and nothing is written or sent again. The case is fetched through the access
    layer (audited); the warnings never name the case. The caller fetched the venue in the
    official's jurisdiction — or from the case's own check-in: the case is theirs, and where
    the case went may be anywhere."""
    person = access_person_for_user(actor, person_id, purpose="case_view", ip=ip)
    now = timezone.now()
    errors = case_visit_period_errors(start=start, end=end, now=now)
    if errors:
        raise ServiceError(_("Check the period of the visit."), fields=errors)
    # The venue's lock makes two requests for the same visit at once take turns: the second
    # finds the first's visit.
    Venue.objects.select_for_update().filter(pk=venue.pk).values_list("pk", flat=True).first()
    visit = case_visit_same(person_id=person.pk, venue=venue, start=start, end=end)
    created = visit is None
    if visit is None:
        visit = CaseVisit.objects.create(
            case_person=person, venue_sealed=venue_seal(venue.pk), start=start, end=min(end, now), recorded_by=actor,
            created_at=now,
        )
        # The event names the case and the visit, never the venue: in clear beside the person, a
        # year in the trail, it would say where the case went (the visit holds it sealed).
        audit_record(actor=actor, action="venue.case_visit", obj=visit, person_id=person.pk, ip=ip)
    # An existing visit's run is found by its subject (created again only if it is gone).
    run = _run_create(
        subject=f"case-visit:{visit.pk}", kind=RunKind.CASE, label=str(_("a case")), venue_ids={venue.pk},
        start=visit.start, end=visit.end, actor=actor,
    )
    assert run is not None
    return run, created
