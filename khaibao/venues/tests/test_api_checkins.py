"""Venue check-in through the API (issue 20): register a venue, print its poster, check two
household members in, publish a place covering the venue and the time, and see both warned and
re-assessed — while someone checked in outside the window is not. Then the bad inputs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.monitoring.models import PersonStatus
from khaibao.notifications.models import Notification
from khaibao.venues.models import CheckIn, Venue, VenueExposure, VenueExposureRun
from khaibao.venues.tasks import venue_exposure_run

HOAN_KIEM = 70
SHOP = {"name": "Tạp hoá Cô Ba", "kind": "shop", "ward_code": HOAN_KIEM, "street": "12 phố Hàng Bài",
        "contact_phone": "0912345678", "lat": 21.0245, "lon": 105.8530}


def register(api: Any, account: Any, **overrides: Any) -> dict[str, Any]:
    resp = api.as_(account).post("/venues", {**SHOP, **overrides})
    assert resp.status_code == 201, resp.content
    return resp.json()


def checkin(api: Any, account: Any, code: str, person_ids: list[int] | None = None, **extra: Any) -> Any:
    body: dict[str, Any] = {"venue_code": code, **extra}
    if person_ids is not None:
        body["person_ids"] = person_ids
    return api.as_(account).post("/checkins", body)


def iso(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S")


def test_it_warns_and_reassesses_the_household_checked_in_during_a_place_window(world: Any, api: Any, settings: Any) -> None:
    settings.SMS_INBOUND_NUMBER = "8079"
    venue = register(api, world.nam)
    assert len(venue["code"]) == 6
    assert venue["status"] == "pending"
    poster = api.as_(world.nam).get(venue["poster_url"])
    assert poster.status_code == 200
    assert poster["Content-Type"].startswith("image/svg+xml")
    text = poster.content.decode()
    assert venue["name"] in text
    assert " ".join([venue["code"][:3], venue["code"][3:]]) in text
    assert f"CHECKIN {venue['code']}" in text

    now = timezone.now()
    # Lan and her child, scanned two hours ago (an offline scan keeps its time).
    resp = checkin(api, world.lan, venue["checkin_url"], [world.lan_self.id, world.lan_child.id],
                   at=iso(now - timedelta(hours=2)))
    assert resp.status_code == 201, resp.content
    assert {c["person_id"] for c in resp.json()["checkins"]} == {world.lan_self.id, world.lan_child.id}
    # Mai was there too, but six hours ago: outside the window.
    assert checkin(api, world.mai, venue["code"].lower(), at=iso(now - timedelta(hours=6))).status_code == 201

    resp = api.as_(world.province).post("/zones/places", {
        "name": "Tạp hoá Cô Ba", "lat": SHOP["lat"], "lon": SHOP["lon"], "ward_code": 4,
        "window_start": iso(now - timedelta(hours=3)), "window_end": iso(now - timedelta(hours=1)),
        "advice": "Ai đã đến đây cần gọi 1900 9095.",
    })
    assert resp.status_code == 201, resp.content
    run = VenueExposureRun.objects.get()
    assert run.venue_ids == [venue["id"]]

    result = venue_exposure_run.call(run.pk)

    assert result["status"] == "done"
    warned = set(VenueExposure.objects.filter(run=run, warned_at__isnull=False).values_list("person_id", flat=True))
    assert warned == {world.lan_self.id, world.lan_child.id}
    for person in (world.lan_self, world.lan_child):
        status = PersonStatus.objects.get(person=person)
        assert status.level == "medium"
        assert "medium.venue_exposure" in status.reasons
    mai = PersonStatus.objects.filter(person=world.mai_self).first()
    assert mai is None or "medium.venue_exposure" not in mai.reasons
    notes = Notification.objects.filter(account=world.lan, kind="venue_exposure")
    assert notes.count() == 2
    # The warning names neither the venue nor the time (a notification is stored in clear and
    # may go by SMS); the status page it links to says where (test_sealed_exposures.py).
    assert "Tạp hoá Cô Ba" not in notes[0].body
    assert not Notification.objects.filter(account=world.mai, kind="venue_exposure").exists()

    # Run again (a worker retried it): nobody is warned twice.
    venue_exposure_run.call(run.pk)
    assert Notification.objects.filter(account=world.lan, kind="venue_exposure").count() == 2


def test_it_returns_the_existing_checkin_for_a_repeat_within_minutes(world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    first = checkin(api, world.lan, venue["code"])
    assert first.status_code == 201
    again = checkin(api, world.lan, venue["code"])
    assert again.status_code == 200
    assert again.json()["checkins"][0]["id"] == first.json()["checkins"][0]["id"]
    assert again.json()["checkins"][0]["created"] is False
    assert CheckIn.objects.count() == 1


def test_it_refuses_unknown_and_suspended_codes(world: Any, api: Any) -> None:
    resp = checkin(api, world.lan, "ZZZZZZ")
    assert resp.status_code == 404
    assert "venue_code" in resp.json()["error"]["fields"]
    venue = register(api, world.nam)
    resp = api.as_(world.ward_official).post(f"/venues/{venue['id']}/status", {"status": "suspended"})
    assert resp.status_code == 200
    assert resp.json()["status"] == "suspended"
    resp = checkin(api, world.lan, venue["code"])
    assert resp.status_code == 404
    assert "áp phích" in resp.json()["error"]["message"]  # Vietnamese by default
    assert not CheckIn.objects.exists()


def test_it_refuses_a_time_in_the_future_or_too_old(world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    now = timezone.now()
    for at in (now + timedelta(hours=1), now - timedelta(days=4)):
        resp = checkin(api, world.lan, venue["code"], at=iso(at))
        assert resp.status_code == 400, resp.content
        assert "at" in resp.json()["error"]["fields"]
    assert not CheckIn.objects.exists()


def test_it_refuses_a_person_outside_the_household(world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    resp = checkin(api, world.lan, venue["code"], [world.lan_self.id, world.mai_self.id])
    assert resp.status_code == 404
    assert not CheckIn.objects.exists()


def test_it_limits_checkins_per_minute(world: Any, api: Any, settings: Any) -> None:
    venues = [register(api, world.nam, name=f"Quầy {i}") for i in range(3)]
    client = api.as_(world.lan)
    statuses = []
    for i in range(100):
        resp = client.post("/checkins", {"venue_code": venues[i % 3]["code"], "at": iso(timezone.now() - timedelta(minutes=20 * (i // 3)))})
        statuses.append(resp.status_code)
    assert 429 in statuses
    assert statuses.index(429) == settings.VENUE_CHECKIN_RATE_PER_MINUTE


def test_it_lists_and_deletes_own_checkins_only(world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    made = checkin(api, world.lan, venue["code"], [world.lan_self.id, world.lan_child.id]).json()["checkins"]
    listed = api.as_(world.lan).get("/checkins").json()["checkins"]
    assert {c["id"] for c in listed} == {c["id"] for c in made}
    assert listed[0]["venue_name"] == SHOP["name"]
    assert api.as_(world.mai).get("/checkins").json()["checkins"] == []
    assert api.as_(world.mai).delete(f"/checkins/{made[0]['id']}").status_code == 404
    assert api.as_(world.lan).delete(f"/checkins/{made[0]['id']}").status_code == 204
    assert CheckIn.objects.count() == 1
    assert AuditEvent.objects.filter(action="checkin.delete", person_id=made[0]["person_id"]).exists()


def test_it_keeps_the_venue_of_a_checkin_sealed(world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    checkin(api, world.lan, venue["code"])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT venue_index, venue_sealed FROM venues_checkin")
        index, sealed = cursor.fetchone()
    assert str(venue["id"]) not in (index, sealed)
    assert venue["code"] not in sealed
    # Audit events of check-ins name the person, never the venue.
    event = AuditEvent.objects.get(action="checkin.create")
    assert str(venue["id"]) not in str(event.data)
    assert venue["code"] not in str(event.data)


def test_it_shows_officials_their_areas_venues_with_filters(world: Any, api: Any) -> None:
    hk = register(api, world.nam)
    register(api, world.hoa, name="Quán phở", kind="restaurant", ward_code=26743, lat=None, lon=None)
    mine = api.as_(world.province).get("/venues").json()["venues"]
    assert [v["id"] for v in mine] == [hk["id"]]
    assert api.as_(world.province).get("/venues?status=verified").json()["venues"] == []
    assert len(api.as_(world.province_hcm).get("/venues?kind=restaurant").json()["venues"]) == 1
    assert api.as_(world.province_hcm).get(f"/venues/{hk['id']}").status_code == 404
    assert api.as_(world.mai).get(f"/venues/{hk['id']}").status_code == 404
    detail = api.as_(world.nam).get(f"/venues/{hk['id']}").json()
    assert len(detail["daily_counts"]) == 7
    assert Venue.objects.get(pk=hk["id"]).contact_phone == "+84912345678"


def test_it_refuses_bad_venue_details_field_by_field(world: Any, api: Any) -> None:
    resp = api.as_(world.nam).post("/venues", {**SHOP, "name": " ", "kind": "casino", "ward_code": 1, "lat": 1.0, "lon": None})
    assert resp.status_code == 400
    assert {"name", "kind", "ward_code", "lat"} <= set(resp.json()["error"]["fields"])
    assert api.as_(world.province).post("/venues", SHOP).status_code == 403
    assert not Venue.objects.exists()
