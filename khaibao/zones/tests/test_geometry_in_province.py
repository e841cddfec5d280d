"""A province official's circle, polygon or place point must lie in their own province (security
review, MEDIUM): only the wards were checked, so the TP.HCM official could publish a red
lockdown circle over Hoàn Kiếm, Hà Nội, and every citizen checking their location there was told
they were in an epidemic area, with TP.HCM's advice. The check is inputs.PROVINCE_BOXES: a box
per province, a sanity check rather than a border (see its comment)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.places.box import in_viet_nam
from khaibao.places.models import Province
from khaibao.zones.inputs import PROVINCE_BOX_MARGIN, PROVINCE_BOXES, point_in_province, province_map_bounds
from khaibao.zones.models import Place, PlaceVersion, Zone, ZoneVersion
from khaibao.zones.tests.helpers import BEN_THANH_MARKET, HOAN_KIEM_LAKE, place_body, square, zone_body

HANOI, HCMC = 1, 79
HOAN_KIEM_SHOP = {"lat": 21.0245, "lon": 105.8530}
CON_DAO = {"lat": 8.6830, "lon": 106.6090}  # an island of TP.HCM, far from its mainland

# Well-known points of every province (its centre, and those of the provinces merged into it;
# islands): each must lie in its own province's box. A typo in the table shows up here.
KNOWN_POINTS: dict[int, list[tuple[float, float]]] = {
    1: [(21.0285, 105.8542)],
    4: [(22.6657, 106.2578)],
    8: [(21.8236, 105.2140), (22.8233, 104.9836), (23.3642, 105.3159)],
    11: [(21.3860, 103.0230)],
    12: [(22.3964, 103.4583)],
    14: [(21.3270, 103.9141)],
    15: [(22.4856, 103.9707), (21.7229, 104.9113)],
    19: [(21.5942, 105.8482), (22.1470, 105.8348)],
    20: [(21.8537, 106.7610)],
    22: [(20.9517, 107.0800)],
    24: [(21.1861, 106.0763), (21.2731, 106.1946)],
    25: [(21.3227, 105.4020), (21.3089, 105.6049), (20.8171, 105.3376)],
    31: [(20.8449, 106.6881), (20.9373, 106.3146), (20.1336, 107.7270)],
    33: [(20.6464, 106.0511), (20.4463, 106.3366)],
    37: [(20.2506, 105.9745), (20.4200, 106.1683), (20.5411, 105.9139)],
    38: [(19.8067, 105.7852)],
    40: [(18.6796, 105.6813)],
    42: [(18.3428, 105.9057)],
    44: [(16.8163, 107.1003), (17.4689, 106.6223)],
    46: [(16.4637, 107.5909)],
    48: [(16.0544, 108.2022), (15.5736, 108.4740), (16.8300, 112.3400)],
    51: [(15.1214, 108.8044), (14.3545, 108.0076)],
    52: [(13.9833, 108.0000), (13.7820, 109.2194)],
    56: [(12.2388, 109.1967), (11.5643, 108.9886), (8.6453, 111.9204)],
    66: [(12.6667, 108.0500), (13.0955, 109.3209)],
    68: [(11.9404, 108.4583), (12.0042, 107.6907), (10.9289, 108.1021), (10.5200, 108.9300)],
    75: [(10.9574, 106.8427), (11.5349, 106.8832)],
    79: [(10.7725, 106.6980), (10.9804, 106.6519), (10.3460, 107.0843), (8.6830, 106.6090)],
    80: [(11.3352, 106.1099), (10.5359, 106.4137)],
    82: [(10.4605, 105.6336), (10.3600, 106.3600)],
    86: [(10.2537, 105.9722), (10.2433, 106.3756), (9.9347, 106.3453)],
    91: [(10.3864, 105.4352), (10.0125, 105.0809), (10.2170, 103.9600), (9.2900, 103.4700)],
    92: [(10.0452, 105.7469), (9.6025, 105.9739), (9.7845, 105.4701)],
    96: [(9.1769, 105.1524), (9.2941, 105.7278), (8.6065, 104.7246)],
}


def _window() -> dict[str, str]:
    now = timezone.now()
    return {"window_start": (now - timedelta(hours=3)).isoformat(), "window_end": (now - timedelta(hours=1)).isoformat()}


# --- The table ------------------------------------------------------------------------------


def test_every_province_has_a_box_inside_viet_nam(db: Any) -> None:
    # A province without a box is never refused anything: keep the table whole when
    # vietnam-provinces changes.
    assert set(Province.objects.values_list("code", flat=True)) == set(PROVINCE_BOXES)
    for boxes in PROVINCE_BOXES.values():
        for south, north, west, east in boxes:
            assert south < north
            assert west < east
            m = PROVINCE_BOX_MARGIN
            assert in_viet_nam(south - m, west - m)
            assert in_viet_nam(north + m, east + m)


@pytest.mark.parametrize("code", sorted(KNOWN_POINTS))
def test_every_provinces_known_points_lie_in_its_box(code: int) -> None:
    for lat, lon in KNOWN_POINTS[code]:
        assert point_in_province(code, lat, lon), (code, lat, lon)


def test_the_two_cities_are_outside_each_other_and_far_provinces(db: Any) -> None:
    assert not point_in_province(HCMC, **HOAN_KIEM_SHOP)
    assert not point_in_province(HANOI, **BEN_THANH_MARKET)
    assert not point_in_province(46, **BEN_THANH_MARKET)  # Huế
    assert not point_in_province(96, **HOAN_KIEM_SHOP)  # Cà Mau


def test_a_map_can_open_on_the_province(db: Any) -> None:
    (south, west), (north, east) = province_map_bounds(HANOI) or [[0.0, 0.0], [0.0, 0.0]]
    assert south < HOAN_KIEM_LAKE["lat"] < north
    assert west < HOAN_KIEM_LAKE["lon"] < east
    assert province_map_bounds(None) is None
    assert province_map_bounds(999) is None


# --- Zones through the API ------------------------------------------------------------------


def test_it_refuses_a_circle_over_hanoi_from_the_hcmc_official(world: Any, api: Any) -> None:
    body = zone_body(ward_codes=[], level=4, lockdown=True, circle={**HOAN_KIEM_SHOP, "radius_m": 5000})
    resp = api.as_(world.province_hcm).post("/zones", body)
    assert resp.status_code == 400, resp.content
    fields = resp.json()["error"]["fields"]
    assert fields["circle.lat"] == (
        "Tâm vòng tròn nằm ngoài Thành phố Hồ Chí Minh. Bạn chỉ có thể công bố vùng dịch trong tỉnh của mình."
    )
    english = api.as_(world.province_hcm).post("/zones", body, headers={"Accept-Language": "en"})
    assert english.json()["error"]["fields"]["circle.lat"].startswith("The centre of the circle is outside")
    assert not Zone.objects.exists()
    check = api.get(f"/zones/check?lat={HOAN_KIEM_SHOP['lat']}&lon={HOAN_KIEM_SHOP['lon']}")
    assert check.json()["in_epidemic_area"] is False


def test_it_refuses_a_polygon_over_hanoi_or_reaching_it(world: Any, api: Any) -> None:
    client = api.as_(world.province_hcm)
    over = client.post("/zones", zone_body(ward_codes=[], polygon=square(105.848, 21.020)))
    # Drawn in TP.HCM but stretched to Hà Nội: every point of a polygon counts.
    lon, lat = BEN_THANH_MARKET["lon"], BEN_THANH_MARKET["lat"]
    reaching = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.01, lat], [105.85, 21.02], [lon, lat]]]}
    stretched = client.post("/zones", zone_body(ward_codes=[], polygon=reaching))
    for resp in (over, stretched):
        assert resp.status_code == 400, resp.content
        assert "Đa giác vượt ra ngoài Thành phố Hồ Chí Minh" in resp.json()["error"]["fields"]["polygon"]
    assert not Zone.objects.exists()


def test_it_refuses_moving_a_zone_over_another_province(world: Any, api: Any) -> None:
    client = api.as_(world.province_hcm)
    created = client.post("/zones", zone_body(ward_codes=[], circle={**BEN_THANH_MARKET, "radius_m": 500}))
    assert created.status_code == 201, created.content
    zone_id = created.json()["zone_id"]
    moved = client.patch(f"/zones/{zone_id}", {"circle": {**HOAN_KIEM_SHOP, "radius_m": 500}})
    assert moved.status_code == 400, moved.content
    assert "circle.lat" in moved.json()["error"]["fields"]
    assert ZoneVersion.objects.filter(zone_id=zone_id).count() == 1


def test_a_shape_inside_the_province_still_works(world: Any, api: Any) -> None:
    client = api.as_(world.province_hcm)
    circle = client.post("/zones", zone_body(ward_codes=[], circle={**BEN_THANH_MARKET, "radius_m": 2000}))
    polygon = client.post("/zones", zone_body(ward_codes=[], polygon=square(BEN_THANH_MARKET["lon"], BEN_THANH_MARKET["lat"])))
    island = client.post("/zones", zone_body(ward_codes=[], circle={**CON_DAO, "radius_m": 3000}))
    hanoi = api.as_(world.province).post("/zones", zone_body(ward_codes=[], circle={**HOAN_KIEM_LAKE, "radius_m": 1000}))
    assert [r.status_code for r in (circle, polygon, island, hanoi)] == [201] * 4, [r.content for r in (circle, polygon, island, hanoi)]
    # The radius may reach over the border: only the centre is held to the province.
    near_border = client.post("/zones", zone_body(ward_codes=[], circle={"lat": 11.45, "lon": 106.60, "radius_m": 50_000}))
    assert near_border.status_code == 201, near_border.content


def test_a_national_official_still_declares_anywhere(world: Any, api: Any) -> None:
    client = api.as_(world.national)
    hanoi = client.post("/zones", zone_body(ward_codes=[], province_code=HANOI, circle={**HOAN_KIEM_SHOP, "radius_m": 5000}))
    hcmc = client.post("/zones", zone_body(ward_codes=[], province_code=HCMC, polygon=square(BEN_THANH_MARKET["lon"], BEN_THANH_MARKET["lat"])))
    place = client.post("/zones/places", place_body(ward_code=None, province_code=HCMC, **BEN_THANH_MARKET, **_window()))
    assert [r.status_code for r in (hanoi, hcmc, place)] == [201] * 3, [r.content for r in (hanoi, hcmc, place)]


def test_a_zone_drawn_before_the_check_can_still_be_ended(world: Any, api: Any) -> None:
    # Published before this check existed: ending or lowering it keeps its circle and must work.
    client = api.as_(world.province_hcm)
    created = client.post("/zones", zone_body(ward_codes=[], circle={**BEN_THANH_MARKET, "radius_m": 500}))
    zone_id = created.json()["zone_id"]
    ZoneVersion.objects.filter(zone_id=zone_id).update(circle_lat=HOAN_KIEM_SHOP["lat"], circle_lon=HOAN_KIEM_SHOP["lon"])
    lowered = client.patch(f"/zones/{zone_id}", {"level": 1})
    ended = client.patch(f"/zones/{zone_id}", {"end": True})
    assert (lowered.status_code, ended.status_code) == (200, 200), (lowered.content, ended.content)


# --- Places through the API -----------------------------------------------------------------


def test_it_refuses_a_place_point_over_hanoi_from_the_hcmc_official(world: Any, api: Any) -> None:
    body = place_body(ward_code=None, **HOAN_KIEM_SHOP, **_window())
    resp = api.as_(world.province_hcm).post("/zones/places", body)
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["fields"]["lat"] == (
        "Điểm này nằm ngoài Thành phố Hồ Chí Minh. Bạn chỉ có thể công bố mốc dịch tễ trong tỉnh của mình."
    )
    english = api.as_(world.province_hcm).post("/zones/places", body, headers={"Accept-Language": "en"})
    assert english.json()["error"]["fields"]["lat"].startswith("This point is outside")
    # With one of its own wards, the point is still refused.
    with_ward = api.as_(world.province_hcm).post("/zones/places", {**body, "ward_code": world.sai_gon.code})
    assert with_ward.status_code == 400
    assert "lat" in with_ward.json()["error"]["fields"]
    assert not Place.objects.exists()


def test_a_place_point_inside_the_province_works_and_cannot_move_out(world: Any, api: Any) -> None:
    client = api.as_(world.province_hcm)
    created = client.post("/zones/places", place_body(ward_code=world.ben_thanh.code, **BEN_THANH_MARKET, **_window()))
    assert created.status_code == 201, created.content
    place_id = created.json()["place_id"]
    moved = client.patch(f"/zones/places/{place_id}", {**HOAN_KIEM_SHOP})
    assert moved.status_code == 400, moved.content
    assert "lat" in moved.json()["error"]["fields"]
    # One published before the check can still be withdrawn.
    PlaceVersion.objects.filter(place_id=place_id).update(**HOAN_KIEM_SHOP)
    withdrawn = client.patch(f"/zones/places/{place_id}", {"withdrawn": True})
    assert withdrawn.status_code == 200, withdrawn.content


# --- The console ------------------------------------------------------------------------------


def test_the_console_zone_form_shows_the_error_beside_the_circle(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province_hcm)
    form = {
        "name": "Vùng giả", "level": "4", "lockdown": "on", "circle_lat": str(HOAN_KIEM_SHOP["lat"]),
        "circle_lon": str(HOAN_KIEM_SHOP["lon"]), "circle_radius_m": "5000", "advice_vi": "x",
    }
    for step in ("preview", "publish_location_only"):
        page = client.post("/staff/zones/new/", {**form, "step": step})
        assert page.status_code == 400
        html = page.content.decode()
        assert 'id="id_circle_lat_error">Tâm vòng tròn nằm ngoài Thành phố Hồ Chí Minh.' in html
        assert '<details class="advanced" open>' in html  # the typed coordinates are shown
    assert not Zone.objects.exists()


def test_the_console_place_form_shows_the_error_beside_the_point(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province_hcm)
    now = timezone.localtime()
    page = client.post("/staff/zones/places/new/", {
        "name": "Địa điểm giả", "lat": str(HOAN_KIEM_SHOP["lat"]), "lon": str(HOAN_KIEM_SHOP["lon"]), "radius_m": "100",
        "window_start": (now - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "window_end": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "advice_vi": "x",
    })
    assert page.status_code == 400
    assert 'id="id_lat_error">Điểm này nằm ngoài Thành phố Hồ Chí Minh.' in page.content.decode()
    assert not Place.objects.exists()
