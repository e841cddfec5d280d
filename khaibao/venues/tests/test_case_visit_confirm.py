""""A case was here: warn" asks first and warns once (review: every repeated POST started a second
run — the same people warned, notified and sent an SMS again). The button's or the form's POST
shows whom it would warn and changes nothing; only the confirmation's POST (`confirmed=1`)
records the visit; the same case, venue and period again returns the first run and sends nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.notifications.models import Delivery, Notification
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.venues.models import CaseVisit, CheckIn, Venue, VenueExposure, VenueExposureRun
from khaibao.venues.tasks import venue_exposure_run
from khaibao.venues.tests.test_api_checkins import checkin, iso, register

EN = {"Accept-Language": "en"}


def case_scene(world: Any, api: Any) -> tuple[Client, Venue, CheckIn]:
    """Lan (the case) and Mai checked in at Nam's venue half an hour ago; a Hà Nội official."""
    venue = register(api, world.nam)
    at = timezone.now() - timedelta(minutes=30)
    for account in (world.lan, world.mai):
        assert checkin(api, account, venue["code"], at=iso(at)).status_code == 201
    official = Client()
    sign_in_staff(official, world.province)
    return official, Venue.objects.get(pk=venue["id"]), CheckIn.objects.get(person=world.lan_self)


def _run_all() -> None:
    for run in VenueExposureRun.objects.filter(kind="case"):
        venue_exposure_run.call(run.pk)


def _visit_form(world: Any) -> dict[str, str]:
    now = timezone.localtime()
    return {"person_id": str(world.lan_self.pk), "start": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "end": (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")}


def _nothing_recorded() -> None:
    assert not CaseVisit.objects.exists()
    assert not VenueExposureRun.objects.exists()
    assert not AuditEvent.objects.filter(action="venue.case_visit").exists()


def test_a_bare_post_from_a_cases_check_in_says_whom_it_warns_and_changes_nothing(world: Any, api: Any) -> None:
    official, venue, case_checkin = case_scene(world, api)
    resp = official.post(f"/staff/cases/{world.lan_self.pk}/checkins/{case_checkin.pk}/visit/", headers=EN)
    assert resp.status_code == 200
    text = resp.content.decode()
    assert f"Record that {world.lan_self.full_name}, a case, was at {venue.name}" in text
    assert "1 person checked in at this venue during that time will be warned" in text  # Mai, not Lan herself
    assert "never names the case" in text
    assert 'name="confirmed" value="1"' in text
    assert f'href="/staff/cases/{world.lan_self.pk}/checkins/"' in text  # Cancel
    _nothing_recorded()


def test_a_bare_post_of_the_venue_form_carries_the_period_to_the_confirmation(world: Any, api: Any) -> None:
    official, venue, _case_checkin = case_scene(world, api)
    form = _visit_form(world)
    resp = official.post(f"/staff/venues/{venue.pk}/case-visits/", form, headers=EN)
    assert resp.status_code == 200
    text = resp.content.decode()
    assert "1 person checked in at this venue during that time will be warned" in text
    for name, value in form.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in text
    _nothing_recorded()


def test_the_venue_form_checks_the_period_before_confirming(world: Any, api: Any) -> None:
    official, venue, _case_checkin = case_scene(world, api)
    form = {**_visit_form(world), "end": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}
    resp = official.post(f"/staff/venues/{venue.pk}/case-visits/", form, headers=EN)
    assert resp.status_code == 400
    assert "The end must not be before the start." in resp.content.decode()
    _nothing_recorded()


def test_confirmed_twice_from_a_cases_check_in_warns_once(world: Any, api: Any) -> None:
    official, _venue, case_checkin = case_scene(world, api)
    url = f"/staff/cases/{world.lan_self.pk}/checkins/{case_checkin.pk}/visit/"
    first = official.post(url, {"confirmed": "1"}, headers=EN, follow=True)
    assert "is being warned" in first.content.decode()
    _run_all()
    # The period runs past now (2 hours after the check-in): the first visit was cut at its
    # recording, and the repeat — a little later, cut later — is still the same visit.
    again = official.post(url, {"confirmed": "1"}, headers=EN, follow=True)
    assert "This visit was already recorded: nothing more was sent." in again.content.decode()
    _run_all()
    assert CaseVisit.objects.count() == 1
    assert VenueExposureRun.objects.filter(kind="case").count() == 1
    assert AuditEvent.objects.filter(action="venue.case_visit").count() == 1
    assert list(VenueExposure.objects.values_list("person_id", flat=True)) == [world.mai_self.pk]
    assert Notification.objects.filter(account=world.mai, kind="venue_exposure").count() == 1
    # One delivery per channel (SMS included): they hang on that one notification.
    channels = list(Delivery.objects.filter(notification__account=world.mai, notification__kind="venue_exposure")
                    .values_list("channel", flat=True))
    assert len(channels) == len(set(channels))

    # Asked again, the confirmation says it is done and offers no button.
    page = official.post(url, headers=EN).content.decode()
    assert "This visit was already recorded on" in page
    assert 'name="confirmed"' not in page


def test_confirmed_twice_from_the_venue_page_warns_once(world: Any, api: Any) -> None:
    official, venue, _case_checkin = case_scene(world, api)
    form = {**_visit_form(world), "confirmed": "1"}
    url = f"/staff/venues/{venue.pk}/case-visits/"
    assert official.post(url, form).status_code == 302
    assert official.post(url, form).status_code == 302
    _run_all()
    assert CaseVisit.objects.count() == 1
    assert VenueExposureRun.objects.filter(kind="case").count() == 1
    assert Notification.objects.filter(account=world.mai, kind="venue_exposure").count() == 1
    assert VenueExposure.objects.filter(person=world.mai_self).count() == 1


def test_another_period_is_another_visit(world: Any, api: Any) -> None:
    official, venue, _case_checkin = case_scene(world, api)
    url = f"/staff/venues/{venue.pk}/case-visits/"
    form = {**_visit_form(world), "confirmed": "1"}
    assert official.post(url, form).status_code == 302
    longer = {**form, "start": (timezone.localtime() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")}
    assert official.post(url, longer).status_code == 302
    assert CaseVisit.objects.count() == 2
    assert VenueExposureRun.objects.filter(kind="case").count() == 2


def test_the_api_records_a_visit_once(world: Any, api: Any) -> None:
    _official, venue, _case_checkin = case_scene(world, api)
    now = timezone.now()
    body = {"person_id": world.lan_self.pk, "start": (now - timedelta(hours=1)).isoformat(),
            "end": (now - timedelta(minutes=5)).isoformat()}
    first = api.as_(world.province).post(f"/venues/{venue.pk}/case-visits", body)
    again = api.as_(world.province).post(f"/venues/{venue.pk}/case-visits", body)
    assert first.status_code == 201
    assert again.status_code == 200  # the first run, answered apart: nothing new was done
    assert first.json()["id"] == again.json()["id"]
    assert VenueExposureRun.objects.filter(kind="case").count() == 1
