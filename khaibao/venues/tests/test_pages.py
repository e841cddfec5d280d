"""The pages of venue check-in (issue 20): a citizen registers a venue, prints its poster,
checks the household in from the poster's URL, lists and deletes check-ins; an official lists
the venues of their area, verifies or suspends one, and warns from a case's own check-in."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.venues.models import CheckIn, Venue, VenueExposureRun
from khaibao.venues.tasks import venue_exposure_run

HOAN_KIEM = 70


def citizen(account: Any) -> Client:
    client = Client()
    client.force_login(account)
    return client


def register_by_page(client: Client, **overrides: Any) -> Venue:
    data = {"name": "Quán bún chả Hương", "kind": "restaurant", "province": 1, "ward_code": HOAN_KIEM,
            "street": "5 Hàng Mành", "contact_phone": "0912000111", "lat": "", "lon": "", **overrides}
    resp = client.post("/venues/new/", data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return Venue.objects.latest("pk")


def test_it_registers_a_venue_and_prints_its_poster(world: Any, settings: Any) -> None:
    settings.SMS_INBOUND_NUMBER = "8079"
    nam = citizen(world.nam)
    venue = register_by_page(nam)
    detail = nam.get(f"/venues/{venue.pk}/").content.decode()
    assert venue.code in detail
    poster = nam.get(f"/venues/{venue.pk}/poster/")
    assert poster.status_code == 200
    body = poster.content.decode()
    assert "<svg" in body
    assert f"CHECKIN {venue.code}" in body
    svg = nam.get(f"/venues/{venue.pk}/poster.svg")
    assert svg["Content-Type"].startswith("image/svg+xml")
    # Someone else's venue is not found.
    assert citizen(world.mai).get(f"/venues/{venue.pk}/poster/").status_code == 404


def test_it_refuses_a_venue_without_its_details(world: Any) -> None:
    resp = citizen(world.nam).post("/venues/new/", {"name": "", "kind": "shop", "province": 1, "street": ""})
    assert resp.status_code == 400
    assert not Venue.objects.exists()


def test_it_checks_the_household_in_from_the_posters_url(world: Any) -> None:
    venue = register_by_page(citizen(world.nam))
    lan = citizen(world.lan)
    page = lan.get(f"/c/{venue.code.lower()}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert venue.name in text
    assert world.lan_child.full_name in text
    resp = lan.post("/checkin/", {"venue_code": venue.code, "person_ids": [world.lan_self.pk, world.lan_child.pk],
                                  "submission_key": "k-1"})
    assert resp.status_code == 302
    assert set(CheckIn.objects.values_list("person_id", flat=True)) == {world.lan_self.pk, world.lan_child.pk}
    listing = lan.get(resp["Location"]).content.decode()
    assert venue.name in listing
    # The same submission posted again (the outbox retrying) records nothing more.
    again = lan.post("/checkin/", {"venue_code": venue.code, "person_ids": [world.lan_self.pk, world.lan_child.pk],
                                   "submission_key": "k-1"})
    assert again.status_code == 302
    assert CheckIn.objects.count() == 2
    one = CheckIn.objects.filter(person=world.lan_child).get()
    assert lan.get(f"/checkins/{one.pk}/delete/").status_code == 200  # the confirmation page
    assert lan.post(f"/checkins/{one.pk}/delete/", {"confirmed": "1"}).status_code == 302
    assert CheckIn.objects.count() == 1


def test_it_keeps_the_time_of_an_offline_scan(world: Any) -> None:
    venue = register_by_page(citizen(world.nam))
    scanned = timezone.now() - timezone.timedelta(hours=3)
    resp = citizen(world.lan).post(
        "/checkin/", {"venue_code": venue.code, "person_ids": [world.lan_self.pk], "submission_key": "offline-1",
                      "scanned_at": scanned.isoformat()},
        headers={"X-Khaibao-Outbox": "1"},
    )
    assert resp.status_code == 204
    checkin = CheckIn.objects.get()
    assert abs((checkin.at - scanned).total_seconds()) < 1
    assert checkin.via == "offline"


def test_it_says_what_is_wrong_with_a_code(world: Any) -> None:
    resp = citizen(world.lan).post("/checkin/", {"venue_code": "NOPE99", "person_ids": [world.lan_self.pk]})
    assert resp.status_code == 400
    assert "áp phích" in resp.content.decode()


def test_officials_list_verify_and_warn_from_a_cases_checkin(world: Any) -> None:
    venue = register_by_page(citizen(world.nam))
    other = register_by_page(citizen(world.hoa), name="Tiệm tóc", kind="shop", province=79, ward_code=26743)
    lan = citizen(world.lan)
    lan.post("/checkin/", {"venue_code": venue.code, "person_ids": [world.lan_self.pk]})
    citizen(world.mai).post("/checkin/", {"venue_code": venue.code, "person_ids": [world.mai_self.pk]})

    official = Client()
    sign_in_staff(official, world.province)
    listing = official.get("/staff/venues/?kind=restaurant").content.decode()
    assert venue.name in listing
    assert other.name not in listing
    assert official.get(f"/staff/venues/{other.pk}/").status_code == 404
    assert official.post(f"/staff/venues/{venue.pk}/status/", {"status": "verified"}).status_code == 302
    assert Venue.objects.get(pk=venue.pk).status == "verified"

    page = official.get(f"/staff/cases/{world.lan_self.pk}/checkins/").content.decode()
    assert venue.name in page
    assert AuditEvent.objects.filter(action="person.checkins_view", person_id=world.lan_self.pk).exists()
    checkin = CheckIn.objects.get(person=world.lan_self)
    resp = official.post(f"/staff/cases/{world.lan_self.pk}/checkins/{checkin.pk}/visit/", {"confirmed": "1"})
    assert resp.status_code == 302
    run = VenueExposureRun.objects.get(kind="case")
    venue_exposure_run.call(run.pk)
    # Mai was there at the same time and is warned; the case is not warned about herself.
    assert list(run.exposures.values_list("person_id", flat=True)) == [world.mai_self.pk]
    assert run.exposures.get().warned_at is not None
