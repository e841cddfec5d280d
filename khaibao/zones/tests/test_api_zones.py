"""The zones API: declaring with scope, bad input, versions, the public list and checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.zones.models import Place, PlaceVersion, Zone, ZoneVersion, ZoneWarningRun
from khaibao.zones.tests.helpers import BEN_THANH_MARKET, HOAN_KIEM_LAKE, place_body, square, zone_body


def declare(api: Any, who: Any, **overrides: Any) -> Any:
    return api.as_(who).post("/zones", zone_body(**overrides))


def test_it_lets_a_province_official_declare_a_zone_in_their_province(world: Any, api: Any) -> None:
    resp = declare(api, world.province)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["version"], body["level"], body["colour"], body["province_code"]) == (1, 3, "orange", 1)
    assert body["ward_codes"] == [70]
    assert AuditEvent.objects.filter(action="zone.create", object_id=str(body["zone_id"])).exists()
    assert ZoneWarningRun.objects.filter(zone_version__zone_id=body["zone_id"]).count() == 1


def test_it_forbids_a_hanoi_official_to_declare_in_ho_chi_minh_city(world: Any, api: Any) -> None:
    by_ward = declare(api, world.province, ward_codes=[world.sai_gon.code])
    by_province = declare(api, world.province, province_code=79, ward_codes=[], circle={**BEN_THANH_MARKET, "radius_m": 500})
    assert (by_ward.status_code, by_province.status_code) == (403, 403)
    assert not Zone.objects.exists()


def test_it_lets_a_national_official_declare_anywhere(world: Any, api: Any) -> None:
    resp = declare(api, world.national, ward_codes=[world.sai_gon.code, world.ben_thanh.code])
    assert resp.status_code == 201, resp.content
    assert resp.json()["province_code"] == 79


@pytest.mark.parametrize("who", ["ward_official", "lan", "checkpoint", "org_admin"])
def test_it_refuses_declarations_from_everyone_else(world: Any, api: Any, who: str) -> None:
    assert declare(api, getattr(world, who)).status_code == 403
    assert not Zone.objects.exists()


def test_it_hides_zones_of_another_province_from_changes(world: Any, api: Any) -> None:
    zone_id = declare(api, world.province_hcm, ward_codes=[world.sai_gon.code]).json()["zone_id"]
    assert api.as_(world.province).patch(f"/zones/{zone_id}", {"level": 1}).status_code == 404
    assert api.as_(world.lan).patch(f"/zones/{zone_id}", {"level": 1}).status_code == 404
    assert api.as_(world.national).patch(f"/zones/{zone_id}", {"level": 1}).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"level": 5}, "level"),
        ({"level": 0}, "level"),
        ({"name": "  "}, "name"),
        ({"ward_codes": [999999]}, "ward_codes"),
        ({"ward_codes": []}, "ward_codes"),
        ({"circle": {"lat": 21.03, "lon": 105.85, "radius_m": 0}}, "circle.radius_m"),
        ({"circle": {"lat": 21.03, "lon": 105.85, "radius_m": 50_001}}, "circle.radius_m"),
        ({"circle": {"lat": 95, "lon": 105.85, "radius_m": 100}}, "circle.lat"),
        ({"circle": {"lat": 21.03, "lon": 190, "radius_m": 100}}, "circle.lon"),
        ({"circle": {"lat": 13.75, "lon": 100.5, "radius_m": 100}}, "circle.lat"),
        ({"polygon": square(100.5, 13.7)}, "polygon"),
        ({"polygon": {"type": "Polygon", "coordinates": [[[105.85, 21.02], [105.86, 21.03], [105.86, 21.02],
                                                          [105.85, 21.03], [105.85, 21.02]]]}}, "polygon"),
        ({"valid_from": "2026-11-20", "valid_until": "2026-11-19"}, "valid_until"),
        ({"valid_from": "next week"}, "valid_from"),
        ({"advice": "x" * 5001}, "advice_vi"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_it_refuses_bad_zones_field_by_field_and_stores_nothing(
    world: Any, api: Any, overrides: dict[str, Any], field: str
) -> None:
    resp = declare(api, world.province, **overrides)
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"], resp.json()
    assert not Zone.objects.exists()
    assert not ZoneVersion.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="zone.").exists()


def test_it_refuses_an_oversized_body(world: Any, api: Any) -> None:
    ring = [[105.85 + i * 1e-7, 21.02] for i in range(60_000)]
    resp = declare(api, world.province, polygon={"type": "Polygon", "coordinates": [ring]})
    assert resp.status_code == 413
    assert not Zone.objects.exists()


def test_ending_a_zone_that_is_already_over_changes_nothing_and_warns_nobody(
    world: Any, api: Any, time_machine: Any
) -> None:
    # Its end set to "now" would be a longer validity than it had: a raise, warning everyone again.
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    client = api.as_(world.province)
    body = zone_body(valid_until=(start + timedelta(hours=1)).isoformat())
    zone_id = client.post("/zones", body).json()["zone_id"]
    runs = ZoneWarningRun.objects.filter(zone_version__zone_id=zone_id).count()
    time_machine.move_to(start + timedelta(hours=2), tick=False)

    ended = client.patch(f"/zones/{zone_id}", {"end": True})

    assert ended.status_code == 200, ended.content
    assert (ended.json()["version"], ended.json()["change"]) == (1, "create")
    assert ZoneVersion.objects.filter(zone_id=zone_id).count() == 1
    assert ZoneWarningRun.objects.filter(zone_version__zone_id=zone_id).count() == runs


def test_it_needs_the_province_for_a_national_circle(world: Any, api: Any) -> None:
    resp = declare(api, world.national, ward_codes=[], circle={**HOAN_KIEM_LAKE, "radius_m": 800})
    assert resp.status_code == 400
    assert "province_code" in resp.json()["error"]["fields"]


def test_it_keeps_every_version_when_a_zone_is_lowered_and_ended(world: Any, api: Any) -> None:
    client = api.as_(world.province)
    zone_id = client.post("/zones", zone_body(level=4, lockdown=True)).json()["zone_id"]
    lowered = client.patch(f"/zones/{zone_id}", {"level": 2, "lockdown": False})
    assert lowered.status_code == 200, lowered.content
    assert (lowered.json()["version"], lowered.json()["change"], lowered.json()["level"]) == (2, "lower", 2)
    assert lowered.json()["warning"] is None  # lowering warns nobody
    ended = client.patch(f"/zones/{zone_id}", {"end": True})
    assert (ended.json()["version"], ended.json()["change"]) == (3, "end")
    assert ended.json()["valid_until"] is not None

    history = client.get(f"/zones/{zone_id}").json()["versions"]
    assert [(v["version"], v["level"], v["change"]) for v in history] == [(3, 2, "end"), (2, 2, "lower"), (1, 4, "create")]
    assert ZoneVersion.objects.filter(zone_id=zone_id).count() == 3
    assert list(AuditEvent.objects.filter(object_id=str(zone_id), action__startswith="zone.")
                .order_by("pk").values_list("action", flat=True)) == ["zone.create", "zone.lower", "zone.end"]
    listed = api.get("/zones").json()["features"]
    assert not [f for f in listed if f["properties"]["kind"] == "zone"]


def test_it_warns_again_when_a_zone_is_raised(world: Any, api: Any) -> None:
    client = api.as_(world.province)
    zone_id = client.post("/zones", zone_body(level=2)).json()["zone_id"]
    raised = client.patch(f"/zones/{zone_id}", {"ward_codes": [70, 4]}).json()
    assert (raised["change"], raised["warning"]["status"]) == ("raise", "pending")
    same = client.patch(f"/zones/{zone_id}", {"level": 2})
    assert same.json()["version"] == 2  # nothing changed: no new version


def test_it_lists_active_zones_as_geojson_in_the_request_language(world: Any, api: Any) -> None:
    declare(api, world.province, circle={**HOAN_KIEM_LAKE, "radius_m": 500}, polygon=square(105.84, 21.02))
    declare(api, world.province_hcm, name="Future", ward_codes=[world.sai_gon.code],
            valid_from=(timezone.localdate() + timedelta(days=2)).isoformat())
    resp = api.get("/zones", headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["type"] == "FeatureCollection"
    (feature,) = body["features"]
    props = feature["properties"]
    assert (props["level"], props["colour"], props["advice"]) == (3, "orange", "Stay home; call 1900 9095 if unwell.")
    assert feature["geometry"]["type"] == "GeometryCollection"
    vi = api.get("/zones", headers={"Accept-Language": "vi"}).json()["features"][0]["properties"]
    assert vi["advice"].startswith("Hạn chế")


def test_it_answers_304_while_nothing_changed(world: Any, api: Any) -> None:
    declare(api, world.province)
    first = api.get("/zones")
    tag = first["ETag"]
    assert tag
    again = api.get("/zones", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    declare(api, world.province, name="Ba Đình", ward_codes=[4])
    changed = api.get("/zones", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed["ETag"] != tag
    assert len(changed.json()["features"]) == 2


def test_it_filters_the_list_by_province(world: Any, api: Any) -> None:
    declare(api, world.province)
    declare(api, world.province_hcm, ward_codes=[world.sai_gon.code], name="Sài Gòn")
    names = [f["properties"]["name"] for f in api.get("/zones?province=79").json()["features"]]
    assert names == ["Sài Gòn"]


def test_it_checks_a_point_inside_near_and_outside(world: Any, api: Any) -> None:
    declare(api, world.province, ward_codes=[], circle={**HOAN_KIEM_LAKE, "radius_m": 500})
    inside = api.get("/zones/check", data={"lat": 21.0285, "lon": 105.8522}).json()
    assert inside["in_epidemic_area"] is True
    assert [f["properties"]["match"] for f in inside["features"]] == ["inside"]
    near = api.get("/zones/check", data={"lat": 21.0285 + 0.009, "lon": 105.8522}).json()  # ~1 km north
    assert near["in_epidemic_area"] is False
    assert near["features"][0]["properties"]["match"] == "near"
    assert 400 <= near["features"][0]["properties"]["distance_m"] <= 600
    far = api.get("/zones/check", data={"lat": 10.7725, "lon": 106.698}).json()
    assert far["features"] == []
    assert far["in_epidemic_area"] is False


def test_it_checks_a_point_in_a_polygon(world: Any, api: Any) -> None:
    declare(api, world.province, ward_codes=[], polygon=square(105.84, 21.02))
    assert api.get("/zones/check", data={"lat": 21.025, "lon": 105.845}).json()["in_epidemic_area"] is True
    assert api.get("/zones/check", data={"lat": 21.035, "lon": 105.845}).json()["in_epidemic_area"] is False


def test_it_checks_a_ward_directly_and_through_a_province_wide_zone(world: Any, api: Any) -> None:
    declare(api, world.province, ward_codes=[70])
    declare(api, world.province_hcm, name="Toàn TP.HCM", ward_codes=[], whole_province=True, level=2)
    assert api.get("/zones/check", data={"ward_code": 70}).json()["in_epidemic_area"] is True
    assert api.get("/zones/check", data={"ward_code": 4}).json()["features"] == []
    ben_thanh = api.get("/zones/check", data={"ward_code": world.ben_thanh.code}).json()
    assert [f["properties"]["name"] for f in ben_thanh["features"]] == ["Toàn TP.HCM"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"lat": 91, "lon": 105}, "lat"), ({"lat": 21, "lon": 181}, "lon"), ({"lat": 21}, "lon"),
     ({}, "lat"), ({"ward_code": 999999}, "ward_code"), ({"lat": "abc", "lon": 105}, "lat")],
)
def test_it_refuses_bad_checks(world: Any, api: Any, query: dict[str, Any], field: str) -> None:
    resp = api.get("/zones/check", data=query)
    assert resp.status_code == 400
    assert field in resp.json()["error"]["fields"]


def test_it_publishes_a_place_with_a_time_window(world: Any, api: Any) -> None:
    now = timezone.localtime()
    resp = api.as_(world.province).post("/zones/places", place_body(
        window_start=(now - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
        window_end=(now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    ))
    assert resp.status_code == 201, resp.content
    assert resp.json()["warning"]["status"] == "pending"
    listed = api.get("/zones").json()["features"]
    assert [f["properties"]["kind"] for f in listed] == ["place"]
    near = api.get("/zones/check", data={"lat": 21.0245, "lon": 105.8531}).json()
    assert near["features"][0]["properties"]["kind"] == "place"
    place_id = resp.json()["place_id"]
    withdrawn = api.as_(world.province).patch(f"/zones/places/{place_id}", {"withdrawn": True})
    assert (withdrawn.json()["version"], withdrawn.json()["change"]) == (2, "end")
    assert api.get("/zones").json()["features"] == []
    assert PlaceVersion.objects.filter(place_id=place_id).count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"window_end": "2026-11-12T17:00"}, "window_end"),
        ({"ward_code": None, "lat": None, "lon": None}, "ward_code"),
        ({"ward_code": 123456789}, "ward_code"),
        ({"lat": 21.02, "lon": None}, "lon"),
        ({"radius_m": 0}, "radius_m"),
        ({"lat": 95}, "lat"),
    ],
)
def test_it_refuses_bad_places(world: Any, api: Any, overrides: dict[str, Any], field: str) -> None:
    resp = api.as_(world.province).post("/zones/places", place_body(**overrides))
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not Place.objects.exists()


def test_it_forbids_places_in_another_province(world: Any, api: Any) -> None:
    resp = api.as_(world.province).post("/zones/places", place_body(ward_code=world.ben_thanh.code, lat=None, lon=None))
    assert resp.status_code == 403
    assert not Place.objects.exists()
