"""Public zone pages and the officials' console pages."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from khaibao.audit.models import AuditEvent
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.models import Zone, ZoneVersion
from khaibao.zones.tests.helpers import zone_body


def test_it_lists_zones_with_their_advice_and_a_map_from_local_assets(world: Any, api: Any, client: Client) -> None:
    api.as_(world.province).post("/zones", zone_body(lockdown=True))
    api.as_(world.province_hcm).post("/zones", zone_body(name="Bến Thành", ward_codes=[world.ben_thanh.code], level=2))
    page = client.get("/zones/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Phường Hoàn Kiếm" in text
    assert "Bến Thành" in text
    assert "Hạn chế ra ngoài" in text
    assert "/static/leaflet/leaflet.js" in text
    assert "unpkg" not in text
    # No script or stylesheet from another host (a CDN); random tokens on the page may contain "cdn".
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert 'id="zones-data"' in text

    hanoi_only = client.get("/zones/?province=1").content.decode()
    assert "Phường Hoàn Kiếm" in hanoi_only
    assert "Bến Thành" not in hanoi_only


def test_it_says_what_to_do_when_there_is_no_zone(world: Any, client: Client) -> None:
    text = client.get("/zones/").content.decode()
    assert text.count('class="card empty"') == 2  # zones and places each say so


def test_it_answers_am_i_in_a_zone_for_a_chosen_ward(world: Any, api: Any, client: Client) -> None:
    api.as_(world.province).post("/zones", zone_body())
    inside = client.get("/zones/check/", {"ward": 70}).content.decode()
    assert "Phường Hoàn Kiếm" in inside
    assert "Hạn chế ra ngoài" in inside
    outside = client.get("/zones/check/", {"ward": 4}).content.decode()
    assert "no-zone" in outside


def test_it_answers_for_a_point_only_when_asked(world: Any, api: Any, client: Client) -> None:
    api.as_(world.province).post("/zones", zone_body(ward_codes=[], circle={"lat": 21.0285, "lon": 105.8522, "radius_m": 500}))
    first = client.get("/zones/check/").content.decode()
    assert "You are inside this area" not in first
    assert 'id="locate-button"' in first  # location only after pressing the button
    asked = client.get(
        "/zones/check/", {"lat": "21.0285", "lon": "105.8522"}, headers={"Accept-Language": "en"}
    ).content.decode()
    assert "You are inside this area" in asked
    assert client.get("/zones/check/", {"lat": "abc", "lon": "105"}).status_code == 400


def test_it_answers_for_a_signed_in_citizens_home_wards(world: Any, api: Any, client: Client) -> None:
    api.as_(world.province).post("/zones", zone_body())
    client.force_login(world.lan)
    text = client.get("/zones/check/").content.decode()
    assert text.count('class="card check-result"') == 1  # Lan's household all lives in Hoàn Kiếm
    assert "Phường Hoàn Kiếm" in text
    assert "Hạn chế ra ngoài" in text


def test_it_lets_a_province_official_declare_a_zone_from_the_console(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    form = client.get("/staff/zones/new/")
    assert form.status_code == 200
    assert 'value="70"' in form.content.decode()  # Hoàn Kiếm among Hà Nội's wards
    assert 'value="26740"' not in form.content.decode()  # no TP.HCM ward offered
    resp = client.post("/staff/zones/new/", {
        "name": "Phường Hoàn Kiếm", "level": "4", "lockdown": "on", "wards": ["70"],
        "advice_vi": "Ở yên tại nhà.", "advice_en": "Stay at home.",
    })
    assert resp.status_code == 302, resp.content.decode()[:2000]
    version = ZoneVersion.objects.get()
    assert (version.level, version.lockdown, version.zone.province_id) == (4, True, 1)
    detail = client.get(resp["Location"]).content.decode()
    assert "Version 1" in detail or "Phiên bản 1" in detail


def test_it_keeps_what_the_official_typed_and_says_what_is_wrong(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    resp = client.post("/staff/zones/new/", {
        "name": "Vòng tròn", "level": "3", "circle_lat": "21.03", "circle_lon": "105.85", "circle_radius_m": "90000",
    })
    assert resp.status_code == 400
    text = resp.content.decode()
    assert "50 km" in text
    assert 'value="Vòng tròn"' in text
    assert not Zone.objects.exists()


def test_it_creates_a_version_when_the_console_lowers_a_zone(world: Any, api: Any, client: Client) -> None:
    zone_id = api.as_(world.province).post("/zones", zone_body(level=4)).json()["zone_id"]
    sign_in_staff(client, world.province)
    form = client.get(f"/staff/zones/{zone_id}/edit/")
    assert form.status_code == 200
    resp = client.post(f"/staff/zones/{zone_id}/edit/", {"name": "Phường Hoàn Kiếm", "level": "2", "wards": ["70"]})
    assert resp.status_code == 302
    assert list(ZoneVersion.objects.filter(zone_id=zone_id).order_by("number").values_list("level", "change")) == [
        (4, "create"), (2, "lower"),
    ]
    client.post(f"/staff/zones/{zone_id}/end/", {"confirmed": "1"})
    assert ZoneVersion.objects.filter(zone_id=zone_id).count() == 3
    assert AuditEvent.objects.filter(action="zone.end", object_id=str(zone_id)).exists()


def test_it_keeps_the_console_to_officials_and_declaring_to_their_scope(world: Any, api: Any, client: Client) -> None:
    zone_id = api.as_(world.province_hcm).post("/zones", zone_body(ward_codes=[world.sai_gon.code])).json()["zone_id"]
    sign_in_staff(client, world.province)
    assert client.get(f"/staff/zones/{zone_id}/edit/").status_code == 404
    assert client.post(f"/staff/zones/{zone_id}/end/", {"confirmed": "1"}).status_code == 404
    assert client.get(f"/staff/zones/{zone_id}/").status_code == 200  # zones are public anyway

    ward = Client()
    sign_in_staff(ward, world.ward_official)
    assert ward.get("/staff/zones/").status_code == 200
    assert ward.get("/staff/zones/new/").status_code == 403

    citizen = Client()
    citizen.force_login(world.lan)
    assert citizen.get("/staff/zones/").status_code == 403
