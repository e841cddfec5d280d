"""A person's status page says each venue exposure once (review: a case's visit and a zone's run
over the same venue and check-in are two `VenueExposure` rows, and the page said the same
"Present at … at …" sentence twice)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.venues.models import VenueExposure, VenueExposureRun
from khaibao.venues.tasks import venue_exposure_run
from khaibao.venues.tests.test_case_visit_confirm import case_scene


def test_it_says_one_exposure_once_when_two_runs_found_it(world: Any, api: Any) -> None:
    official, venue, case_checkin = case_scene(world, api)
    visit = official.post(f"/staff/cases/{world.lan_self.pk}/checkins/{case_checkin.pk}/visit/", {"confirmed": "1"})
    assert visit.status_code == 302
    case_run = VenueExposureRun.objects.get(kind="case")
    assert venue_exposure_run.call(case_run.pk)["status"] == "done"
    (found,) = VenueExposure.objects.filter(person=world.mai_self)
    # A zone published over the venue's ward found the same check-in: a second row, the same fact.
    now = timezone.now()
    zone_run = VenueExposureRun.objects.create(
        subject="zone-version:1", kind="zone", label="Phường Ba Đình", venue_ids=[venue.pk],
        window_start=now - timedelta(hours=2), window_end=now, status="done",
    )
    VenueExposure.objects.create(
        run=zone_run, person=world.mai_self, venue_sealed=found.venue_sealed,
        checked_in_at=found.checked_in_at, on=found.on, warned_at=now,
    )
    page = Client()
    page.force_login(world.mai)
    text = page.get(f"/people/{world.mai_self.pk}/").content.decode()
    when = f"{timezone.localtime(found.checked_in_at):%H:%M %d/%m/%Y}"
    assert text.count('class="venue-exposure"') == 1
    assert text.count(when) == 1
    assert venue.name in text


def test_it_keeps_two_visits_at_different_times(world: Any, api: Any) -> None:
    official, venue, case_checkin = case_scene(world, api)
    assert official.post(
        f"/staff/cases/{world.lan_self.pk}/checkins/{case_checkin.pk}/visit/", {"confirmed": "1"}
    ).status_code == 302
    venue_exposure_run.call(VenueExposureRun.objects.get(kind="case").pk)
    (found,) = VenueExposure.objects.filter(person=world.mai_self)
    now = timezone.now()
    zone_run = VenueExposureRun.objects.create(
        subject="zone-version:1", kind="zone", label="Phường Ba Đình", venue_ids=[venue.pk],
        window_start=now - timedelta(days=1), window_end=now, status="done",
    )
    VenueExposure.objects.create(
        run=zone_run, person=world.mai_self, venue_sealed=found.venue_sealed,
        checked_in_at=found.checked_in_at - timedelta(hours=3), on=found.on, warned_at=now,
    )
    page = Client()
    page.force_login(world.mai)
    text = page.get(f"/people/{world.mai_self.pk}/").content.decode()
    assert text.count('class="venue-exposure"') == 2
