"""More codes with their words beside them (additive `*_label` fields, each from its owner): a
notification's kind, a check-in's way, an assisted person's consent, a case visit's run, a
duplicate-ID review's outcome, a contact's match, a zone version's colour — and a case visit
asked by anyone but an official is a plain 404 `not_found`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.notifications.labels import notification_kind_label
from khaibao.notifications.services import KIND_DAILY_REMINDER, notify_account
from khaibao.venues.tests.test_api_checkins import checkin, iso, register
from khaibao.zones.tests.helpers import zone_body

EN = {"headers": {"Accept-Language": "en"}}


def test_a_notification_says_its_kind_in_words(world: Any, api: Any) -> None:
    notify_account(account=world.lan, kind=KIND_DAILY_REMINDER, title="Nhắc", body="…")
    (item,) = api.as_(world.lan).get("/notifications").json()["items"]
    assert (item["kind"], item["kind_label"]) == (KIND_DAILY_REMINDER, "Lời nhắc cập nhật hằng ngày")
    (english,) = api.as_(world.lan).get("/notifications", **EN).json()["items"]
    assert english["kind_label"] == "Daily update reminder"
    notify_account(account=world.mai, kind="something_new", title="t", body="b")
    (unknown,) = api.as_(world.mai).get("/notifications").json()["items"]
    assert unknown["kind_label"] == notification_kind_label("something_new") == "something_new"


def test_a_check_in_says_how_it_was_made(world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    created = checkin(api, world.lan, venue["code"], at=iso(timezone.now() - timedelta(minutes=10)))
    assert created.status_code == 201, created.content
    (row,) = created.json()["checkins"]
    assert (row["via"], row["via_label"]) == ("offline", "Gửi sau khi có mạng trở lại")
    (listed,) = api.as_(world.lan).get("/checkins", **EN).json()["checkins"]
    assert listed["via_label"] == "Sent after the connection returned"


def test_an_assisted_person_says_how_they_consented(world: Any, api: Any) -> None:
    body = {"full_name": "Lý Văn Sáu", "birth_year": 1936, "sex": "male", "id_number": "001036000888",
            "ward_code": 70, "consent_method": "witnessed", "witness_name": "Lý Thị Bảy", "attested": True}
    created = api.as_(world.volunteer).post("/volunteers/assisted", body)
    assert created.status_code == 201, created.content
    assert created.json()["consent_method_label"] == "Đồng ý bằng lời, có người làm chứng"
    rows = {r["id"]: r for r in api.as_(world.volunteer).get("/volunteers/assisted", **EN).json()}
    assert rows[created.json()["id"]]["consent_method_label"] == "Witnessed verbal consent"
    # No method recorded (Ông Tư's delegation from before consents were asked): no words either.
    assert all(r["consent_method_label"] is None for r in rows.values() if r["consent_method"] is None)


def test_a_case_visit_run_says_its_status_and_hides_from_others(world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    now = timezone.now()
    body = {"person_id": world.lan_self.pk, "start": (now - timedelta(hours=1)).isoformat(),
            "end": (now - timedelta(minutes=5)).isoformat()}
    for who in (world.lan, world.nam):
        hidden = api.as_(who).post(f"/venues/{venue['id']}/case-visits", body)
        assert hidden.status_code == 404
        assert hidden.json()["error"]["code"] == "not_found"
    missing = api.as_(world.lan).post("/venues/999999/case-visits", body)
    assert missing.json() == hidden.json()
    run = api.as_(world.province).post(f"/venues/{venue['id']}/case-visits", body)
    assert run.status_code == 201, run.content
    assert (run.json()["status"], run.json()["status_label"]) == ("pending", "Đang chờ")


def test_a_zone_version_says_its_colour_as_get_zones_does(world: Any, api: Any) -> None:
    official = api.as_(world.province)
    zone = official.post("/zones", zone_body(level=3))
    assert zone.status_code == 201, zone.content
    assert (zone.json()["colour"], zone.json()["colour_word"]) == ("orange", "cam")
    raised = official.patch(f"/zones/{zone.json()['zone_id']}", {"level": 4}, **EN)
    assert (raised.json()["colour"], raised.json()["colour_word"]) == ("red", "red")
    features = api.get("/zones").json()["features"]
    words = {f["properties"].get("colour_word") for f in features if f["properties"].get("kind") == "zone"}
    assert "đỏ" in words
