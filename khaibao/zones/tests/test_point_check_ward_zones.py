"""A point cannot be tested against zones defined only by wards: the check must say so instead of
an all-clear (review-browser finding 1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from khaibao.zones import lookup
from khaibao.zones.tests.helpers import HOAN_KIEM_LAKE, place_body, zone_body


def _today() -> dict[str, str]:
    now = timezone.localtime()
    return {"window_start": f"{now:%Y-%m-%d}T00:00", "window_end": f"{now:%Y-%m-%d}T23:00"}


BA_DINH = {"lat": 21.0358, "lon": 105.8342}  # inside Phường Ba Đình (ward 4)


def test_the_selector_says_ward_only_zones_leave_a_point_unchecked(world: Any, api: Any) -> None:
    assert lookup.point_check(BA_DINH["lat"], BA_DINH["lon"]).ward_zones_unchecked is False  # nothing in force
    api.as_(world.province).post("/zones", zone_body(name="Khu dân cư Đội Cấn", ward_codes=[4]))
    answer = lookup.point_check(BA_DINH["lat"], BA_DINH["lon"])
    assert answer.matches == []
    assert answer.ward_zones_unchecked is True
    # Knowing the point's province narrows it: nothing ward-only in Hồ Chí Minh City.
    assert lookup.point_check(BA_DINH["lat"], BA_DINH["lon"], province_code=79).ward_zones_unchecked is False
    assert lookup.point_check(BA_DINH["lat"], BA_DINH["lon"], province_code=1).ward_zones_unchecked is True


def test_a_ward_only_place_notice_also_leaves_a_point_unchecked(world: Any, api: Any) -> None:
    resp = api.as_(world.province).post("/zones/places", place_body(lat=None, lon=None, **_today()))
    assert resp.status_code == 201, resp.content
    assert lookup.point_check(BA_DINH["lat"], BA_DINH["lon"]).ward_zones_unchecked is True


def test_circles_and_polygons_alone_are_fully_checked(world: Any, api: Any) -> None:
    api.as_(world.province).post("/zones", zone_body(ward_codes=[], circle={**HOAN_KIEM_LAKE, "radius_m": 500}))
    resp = api.as_(world.province).post("/zones/places", place_body(**_today()))  # a ward and a point: the point is tested
    assert resp.status_code == 201, resp.content
    answer = lookup.point_check(BA_DINH["lat"], BA_DINH["lon"])
    assert answer.ward_zones_unchecked is False


def test_the_page_asks_for_the_ward_instead_of_an_all_clear(world: Any, api: Any, client: Client) -> None:
    api.as_(world.province).post("/zones", zone_body(name="Khu dân cư Đội Cấn", ward_codes=[4]))
    text = client.get(
        "/zones/check/", {"lat": str(BA_DINH["lat"]), "lon": str(BA_DINH["lon"])}, headers={"Accept-Language": "en"}
    ).content.decode()
    assert "no-zone" not in text
    assert "No epidemic area here" not in text
    assert "We cannot tell from your location alone" in text
    assert 'href="#choose-ward"' in text
    assert 'id="choose-ward"' in text


def test_the_page_in_vietnamese_asks_for_the_ward(world: Any, api: Any, client: Client) -> None:
    api.as_(world.province).post("/zones", zone_body(name="Khu dân cư Đội Cấn", ward_codes=[4]))
    text = client.get(
        "/zones/check/", {"lat": str(BA_DINH["lat"]), "lon": str(BA_DINH["lon"])}, headers={"Accept-Language": "vi"}
    ).content.decode()
    assert "Chúng tôi không thể xác định chỉ từ vị trí của bạn" in text
    assert "không có vùng dịch nào tại đây" not in text


def test_the_page_still_gives_the_all_clear_when_every_area_has_a_shape(world: Any, api: Any, client: Client) -> None:
    api.as_(world.province).post("/zones", zone_body(ward_codes=[], circle={**HOAN_KIEM_LAKE, "radius_m": 500}))
    text = client.get("/zones/check/", {"lat": "10.7725", "lon": "106.698"}).content.decode()
    assert "no-zone" in text
    assert "ward-unchecked" not in text


def test_a_match_found_by_shape_still_notes_the_unchecked_ward_zones(world: Any, api: Any, client: Client) -> None:
    api.as_(world.province).post("/zones", zone_body(ward_codes=[], circle={**HOAN_KIEM_LAKE, "radius_m": 500}))
    api.as_(world.province).post("/zones", zone_body(name="Khu dân cư Đội Cấn", ward_codes=[4]))
    text = client.get(
        "/zones/check/", {"lat": str(HOAN_KIEM_LAKE["lat"]), "lon": str(HOAN_KIEM_LAKE["lon"])},
        headers={"Accept-Language": "en"},
    ).content.decode()
    assert "You are inside this area" in text
    assert "Choose your ward to check them." in text


def test_the_api_carries_the_same_fact(world: Any, api: Any) -> None:
    assert api.get("/zones/check", data=BA_DINH).json()["ward_zones_unchecked"] is False
    api.as_(world.province).post("/zones", zone_body(name="Khu dân cư Đội Cấn", ward_codes=[4]))
    body = api.get("/zones/check", data=BA_DINH).json()
    assert body["features"] == []
    assert body["ward_zones_unchecked"] is True
    by_ward = api.get("/zones/check", data={"ward_code": 4}).json()
    assert by_ward["ward_zones_unchecked"] is False
    assert by_ward["in_epidemic_area"] is True


def test_a_ward_zone_that_warns_nobody_or_has_ended_leaves_the_point_checked(world: Any, api: Any) -> None:
    # Diff review F8: one such zone anywhere made every point in the country "cannot tell".
    low = api.as_(world.province).post("/zones", zone_body(name="Cấp 1", level=1, ward_codes=[4]))
    assert low.status_code == 201, low.content
    assert lookup.point_check(BA_DINH["lat"], BA_DINH["lon"]).ward_zones_unchecked is False
    until = (timezone.localdate() + timedelta(days=5)).isoformat()
    ending = api.as_(world.province).post("/zones", zone_body(name="Khu dân cư Đội Cấn", ward_codes=[4], valid_until=until))
    assert ending.status_code == 201, ending.content
    assert lookup.point_check(BA_DINH["lat"], BA_DINH["lon"]).ward_zones_unchecked is True
    with time_machine.travel(timezone.now() + timedelta(days=7)):
        assert lookup.point_check(BA_DINH["lat"], BA_DINH["lon"]).ward_zones_unchecked is False
