"""Issue 17, major 7: zones are drawn on a map, not typed as coordinates. Circles and polygons
are drawn and changed with Leaflet.draw (django-leaflet's static files) into the form's
coordinate fields; the map works offline on a blank background with a coordinate grid and names
the chosen wards; the wards are a searchable list of tick boxes that works without JavaScript;
the raw fields stay as "Coordinates (advanced)". No inline script: the CSP holds."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.web.tests.browser.a11y import NO_SCROLL, axe_violations
from khaibao.web.tests.browser.flows import staff_sign_in, totp_now
from khaibao.web.tests.browser.test_content_security_policy import Watch
from khaibao.zones.models import Zone

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 1000}


def _official(new_page: Any, *, viewport: dict[str, int] = WIDE, javascript: bool = True) -> Any:
    page = new_page(viewport=viewport, javascript=javascript)
    staff_sign_in(page, username="demo-province")
    device = TOTPDevice.objects.get(user__username="demo-province")
    page.fill("input[name=code]", totp_now(device))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(lambda url: "/staff/2fa/" not in url)
    return page


def _drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    page.mouse.move(*end)
    page.mouse.up()


def _zoom_in(page: Any, times: int) -> None:
    for _ in range(times):
        page.click(".leaflet-control-zoom-in")
        page.wait_for_timeout(350)  # each zoom animates; a click during it is lost


def _map_point(page: Any, fx: float, fy: float) -> tuple[float, float]:
    box = page.locator("#zone-map").bounding_box()
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def test_it_draws_a_circle_and_a_polygon_and_picks_wards_by_name(new_page: Any, world: Any) -> None:
    page = _official(new_page)
    watch = Watch(page)
    watch.visit("/staff/zones/new/")
    expect(page.locator("#zone-map.leaflet-container")).to_be_visible()
    # No tiles here (offline test machine): a blank background with a coordinate grid, said so.
    expect(page.locator("#map-note")).to_contain_text("không có nền bản đồ", ignore_case=True)
    assert page.locator("#zone-map canvas.leaflet-tile").count() > 0
    assert page.locator("#id_circle_lat").is_hidden()  # the raw fields are folded away …
    assert page.locator("details.advanced summary").is_visible()  # … behind "Coordinates (advanced)"

    # The ward picker: search without diacritics, tick, and see it named.
    page.fill("#ward-search", "ba dinh")
    visible = page.locator(".ward-option:visible")
    expect(visible).to_have_count(1)
    expect(visible).to_contain_text("Phường Ba Đình")
    visible.locator("input").check()
    expect(page.locator("#ward-chosen")).to_have_text("Đã chọn: Phường Ba Đình")
    expect(page.locator(".map-wards")).to_contain_text("Phường Ba Đình")
    page.fill("#ward-search", "")
    expect(page.locator(".ward-option:visible")).to_have_count(page.locator(".ward-option").count())

    # Zoom in (the grid needs no tiles), then draw a circle: the fields are filled.
    _zoom_in(page, 6)
    page.click(".leaflet-draw-draw-circle")
    _drag(page, _map_point(page, 0.5, 0.5), _map_point(page, 0.6, 0.5))
    lat = float(page.input_value("#id_circle_lat"))
    lon = float(page.input_value("#id_circle_lon"))
    radius = float(page.input_value("#id_circle_radius_m"))
    assert 8 < lat < 24
    assert 102 < lon < 110
    assert 0 < radius < 50_000

    # A polygon: three clicks and back to the first point.
    page.click(".leaflet-draw-draw-polygon")
    points = [_map_point(page, 0.2, 0.2), _map_point(page, 0.35, 0.2), _map_point(page, 0.3, 0.35)]
    for x, y in [*points, points[0]]:
        page.mouse.click(x, y)
        page.wait_for_timeout(150)  # Leaflet.draw takes a new point 50 ms after the last one
    polygon = json.loads(page.input_value("#id_polygon"))
    assert polygon["type"] == "Polygon"
    assert len(polygon["coordinates"][0]) == 4  # closed ring
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []

    page.fill("input[name=name]", "Chợ Đồng Xuân")
    page.select_option("select[name=level]", "4")
    page.click("main form[method=post] button[name=step][value=publish]")
    page.wait_for_url(re.compile(r"/staff/zones/\d+/$"))
    current = Zone.objects.get().current
    assert current.circle_radius_m == pytest.approx(radius, abs=1)
    assert current.polygon["type"] == "Polygon"
    assert [w.code for w in current.wards.all()] == [world.ba_dinh.code]

    # Changing it: the saved shapes are drawn again from the fields.
    watch.visit(f"/staff/zones/{current.zone_id}/edit/")
    expect(page.locator("#zone-map path.leaflet-interactive")).to_have_count(2)
    expect(page.locator("#ward-chosen")).to_have_text("Đã chọn: Phường Ba Đình")
    # Deleting the circle on the map (the first shape drawn) empties its fields, and only those.
    page.click(".leaflet-draw-edit-remove")
    page.locator("#zone-map path.leaflet-interactive").first.click(force=True)
    page.click(".leaflet-draw-actions a[title='Giữ các thay đổi']")
    assert page.input_value("#id_circle_lat") == ""
    assert page.input_value("#id_circle_radius_m") == ""
    assert json.loads(page.input_value("#id_polygon"))["type"] == "Polygon"
    watch.assert_clean()


def test_it_works_offline_on_a_phone(new_page: Any, world: Any) -> None:
    from khaibao.zones.inputs import CircleInput, ZoneInput
    from khaibao.zones.zones import zone_declare

    version = zone_declare(actor=world.province, data=ZoneInput(
        province_code=world.hanoi.code, name="Chợ Đồng Xuân", level=4,
        ward_codes=[world.hoan_kiem.code], circle=CircleInput(lat=21.0381, lon=105.8497, radius_m=300),
    ))
    page = _official(new_page, viewport={"width": 320, "height": 700})
    page.context.add_init_script("Object.defineProperty(Navigator.prototype, 'onLine', {get: () => false})")
    page.goto(f"/staff/zones/{version.zone_id}/edit/")
    expect(page.locator("#map-note")).to_contain_text("không có nền bản đồ", ignore_case=True)
    assert page.locator("#zone-map img.leaflet-tile").count() == 0  # no tile is even asked for
    assert page.locator("#zone-map canvas.leaflet-tile").count() > 0  # the coordinate grid
    expect(page.locator("#zone-map path.leaflet-interactive")).to_have_count(1)  # the circle
    expect(page.locator(".map-wards")).to_contain_text("Phường Hoàn Kiếm")
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []


def test_it_picks_wards_and_types_coordinates_without_javascript(new_page: Any, world: Any) -> None:
    page = _official(new_page, javascript=False)
    page.goto("/staff/zones/new/")
    assert page.locator("#map-editor").is_hidden()
    assert page.locator("#ward-search").is_hidden()
    page.check(f"input[name=wards][value='{world.hoan_kiem.code}']")
    page.click("details.advanced summary")
    page.fill("#id_circle_lat", "21.0381")
    page.fill("#id_circle_lon", "105.8497")
    page.fill("#id_circle_radius_m", "300")
    page.fill("input[name=name]", "Chợ Đồng Xuân")
    page.click("main form[method=post] button[name=step][value=publish]")
    page.wait_for_url(re.compile(r"/staff/zones/\d+/$"))
    current = Zone.objects.get().current
    assert (current.circle_lat, current.circle_radius_m) == (pytest.approx(21.0381), 300)
    assert [w.code for w in current.wards.all()] == [world.hoan_kiem.code]


def test_it_draws_a_places_point_and_radius(new_page: Any, world: Any) -> None:
    page = _official(new_page)
    page.goto("/staff/zones/places/new/")
    expect(page.locator("#zone-map.leaflet-container")).to_be_visible()
    assert page.locator(".leaflet-draw-draw-polygon").count() == 0  # a place is a point and a radius
    _zoom_in(page, 8)
    page.click(".leaflet-draw-draw-circle")
    _drag(page, _map_point(page, 0.5, 0.5), _map_point(page, 0.55, 0.5))
    assert 8 < float(page.input_value("#id_lat")) < 24
    assert float(page.input_value("#id_radius_m")) > 0
    assert axe_violations(page) == []
