"""Issue 17, major 2: a circle or polygon alone warns nobody, and the console and the API say so
before publishing; the wards the shape covers are suggested (from published places and reports
inside it) and attached in one step; the banner never promises warnings that will not be sent."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.inputs import PlaceInput
from khaibao.zones.models import Zone, ZoneWarningRun
from khaibao.zones.places import place_declare
from khaibao.zones.tests.helpers import HOAN_KIEM_LAKE, place_body, square, zone_body

HOAN_KIEM = 70
CIRCLE = {"lat": HOAN_KIEM_LAKE["lat"], "lon": HOAN_KIEM_LAKE["lon"], "radius_m": 1000}


def _known_place(world: Any) -> None:
    """A published place in Hoàn Kiếm, 450 m from the lake: a point whose ward is known."""
    now = timezone.now()
    place_declare(actor=world.province, data=PlaceInput(
        name="Siêu thị X, 12 phố Hàng Bài", province_code=world.hanoi.code, ward_code=HOAN_KIEM,
        lat=21.0245, lon=105.8530, radius_m=100, window_start=now - timedelta(days=2),
        window_end=now - timedelta(days=2) + timedelta(hours=3), advice_vi="Gọi 1900 9095.",
    ))


def test_the_api_says_a_circle_alone_reaches_nobody_and_suggests_its_wards(world: Any, api: Any) -> None:
    _known_place(world)
    resp = api.as_(world.province).post("/zones", zone_body(ward_codes=[], circle=CIRCLE, level=4, lockdown=True))
    assert resp.status_code == 201, resp.content
    reach = resp.json()["reach"]
    assert reach["location_check_only"] is True
    assert (reach["wards"], reach["province"], reach["residents"]) == ([], None, 0)
    assert reach["suggested_wards"] == [{"code": HOAN_KIEM, "name": "Phường Hoàn Kiếm"}]

    # One step: send the suggested wards; now the residents are reached.
    zone_id = resp.json()["zone_id"]
    patched = api.as_(world.province).patch(f"/zones/{zone_id}", {"ward_codes": [HOAN_KIEM]}).json()
    assert patched["reach"]["location_check_only"] is False
    assert patched["reach"]["wards"] == [{"code": HOAN_KIEM, "name": "Phường Hoàn Kiếm"}]
    assert patched["reach"]["residents"] >= 3  # Lan's household lives there
    assert patched["reach"]["suggested_wards"] == []

    whole = api.as_(world.province).post("/zones", zone_body(ward_codes=[], whole_province=True)).json()["reach"]
    assert whole["province"] == {"code": world.hanoi.code, "name": world.hanoi.name}
    assert whole["location_check_only"] is False


def test_a_polygon_with_no_known_point_suggests_nothing(world: Any, api: Any) -> None:
    _known_place(world)
    far = api.as_(world.province).post("/zones", zone_body(ward_codes=[], polygon=square(105.70, 21.10))).json()["reach"]
    assert far["location_check_only"] is True
    assert far["suggested_wards"] == []
    near = api.as_(world.province).post("/zones", zone_body(ward_codes=[], polygon=square(105.848, 21.020))).json()["reach"]
    assert [w["code"] for w in near["suggested_wards"]] == [HOAN_KIEM]


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Chợ Đồng Xuân", "level": "4", "lockdown": "on", "circle_lat": str(CIRCLE["lat"]),
        "circle_lon": str(CIRCLE["lon"]), "circle_radius_m": "1000", "advice_vi": "Không ra ngoài.",
    }
    data.update(overrides)
    return data


def test_the_console_says_whom_before_publishing_and_attaches_the_wards_in_one_step(world: Any, client: Client) -> None:
    _known_place(world)
    sign_in_staff(client, world.province)

    # Publishing a circle alone stops first, saying nobody would be warned.
    page = client.post("/staff/zones/new/", _form(step="publish"))
    html = page.content.decode()
    assert page.status_code == 200
    assert not Zone.objects.exists()
    assert 'data-location-check-only="true"' in html
    assert "Sẽ không ai được cảnh báo" in html
    assert "Phường Hoàn Kiếm" in html.split('class="suggested-wards"')[1]
    assert 'value="attach"' in html
    assert "đang được cảnh báo" not in html

    # One click attaches the suggested ward; the page now says whom it reaches.
    attached = client.post("/staff/zones/new/", _form(step="attach")).content.decode()
    assert not Zone.objects.exists()
    assert re.search(rf'<input[^>]*name="wards"[^>]*value="{HOAN_KIEM}"[^>]*checked', attached)
    assert 'data-location-check-only="false"' in attached
    assert "sống tại Phường Hoàn Kiếm" in attached

    done = client.post("/staff/zones/new/", _form(step="publish", wards=[str(HOAN_KIEM)]), follow=True)
    version = Zone.objects.get().current
    assert [w.code for w in version.wards.all()] == [HOAN_KIEM]
    assert ZoneWarningRun.objects.filter(zone_version=version).exists()
    assert "Đang cảnh báo" in done.content.decode()


def test_a_zone_published_for_location_checks_only_promises_no_warning(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    done = client.post("/staff/zones/new/", _form(step="publish_location_only"), follow=True)
    html = done.content.decode()
    assert Zone.objects.count() == 1
    assert "Không ai được cảnh báo vì vùng không có phường/xã nào" in html
    assert "đang được cảnh báo" not in html.lower()
    assert "Đang cảnh báo" not in html
    assert 'data-location-check-only="true"' in html  # the zone's page says so too


def test_a_below_warning_level_zone_says_nobody_is_warned(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    page = client.post("/staff/zones/new/", _form(step="preview", level="1", lockdown="", wards=[str(HOAN_KIEM)]))
    assert "Ở cấp độ này sẽ không ai được cảnh báo" in page.content.decode()
    assert not Zone.objects.exists()


def test_the_api_says_a_place_without_a_ward_reaches_nobody(world: Any, api: Any) -> None:
    body = place_body(window_start=_ago_local(2), window_end=_ago_local(2, hours=3))
    with_ward = api.as_(world.province).post("/zones/places", body)
    assert with_ward.status_code == 201, with_ward.content
    reach = with_ward.json()["reach"]
    assert (reach["location_check_only"], reach["wards"]) == (False, [{"code": HOAN_KIEM, "name": "Phường Hoàn Kiếm"}])
    point_only = api.as_(world.province).post(
        "/zones/places", {**body, "ward_code": None, "lat": 21.0246, "lon": 105.8531, "name": "Quán nước đầu ngõ"}
    ).json()
    assert point_only["reach"]["location_check_only"] is True
    assert point_only["warning"] is None
    # The first place, 15 m away, tells the ward.
    assert point_only["reach"]["suggested_wards"] == [{"code": HOAN_KIEM, "name": "Phường Hoàn Kiếm"}]


def _ago_local(days: int, *, hours: int = 0) -> str:
    moment = timezone.localtime() - timedelta(days=days) + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M")
