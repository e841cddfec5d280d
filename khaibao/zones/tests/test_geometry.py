"""Geometry: circles on the ground, GeoJSON polygons, Viet Nam's bounding box."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from khaibao.zones.geometry import (
    Area,
    GeometryError,
    check_circle,
    check_lat_lon,
    haversine_m,
    point_in_circle,
    polygon_parse,
)

HOAN_KIEM_LAKE = (21.0285, 105.8522)
# ~1 m of latitude in degrees.
ONE_METRE = 1 / 111_195


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[
        [lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat],
    ]]}


def test_it_measures_ground_distance_with_haversine() -> None:
    # Hà Nội (Hoàn Kiếm) to TP.HCM (Bến Thành): about 1,140 km as the crow flies.
    assert 1_130_000 < haversine_m(21.0285, 105.8522, 10.7725, 106.6980) < 1_150_000
    assert haversine_m(*HOAN_KIEM_LAKE, *HOAN_KIEM_LAKE) == 0


@pytest.mark.parametrize(
    ("metres_north", "inside"),
    [(0, True), (499, True), (499.9, True), (501, False), (2000, False)],
)
def test_it_counts_the_edge_of_a_circle_as_inside(metres_north: float, inside: bool) -> None:
    lat, lon = HOAN_KIEM_LAKE
    assert point_in_circle(lat + metres_north * ONE_METRE, lon, lat, lon, 500) is inside


def test_it_uses_ground_distance_not_degrees_for_longitude() -> None:
    # At 21 °N a degree of longitude is ~7 % shorter than one of latitude: 0.0048° east is
    # ~498 m, inside a 500 m circle, although 0.0048° north (~534 m) is not.
    lat, lon = HOAN_KIEM_LAKE
    assert point_in_circle(lat, lon + 0.0048, lat, lon, 500)
    assert not point_in_circle(lat + 0.0048, lon, lat, lon, 500)


@pytest.mark.parametrize(
    ("radius", "ok"),
    [(0, False), (-5, False), (1, True), (50_000, True), (50_000.5, False), (float("nan"), False)],
)
def test_it_bounds_the_radius(radius: float, ok: bool) -> None:
    errors = check_circle(21.03, 105.85, radius)
    assert ("radius_m" not in errors) is ok


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [(91, 105, "lat"), (-90.5, 105, "lat"), (21, 180.1, "lon"), (21, -181, "lon"), (float("inf"), 105, "lat")],
)
def test_it_refuses_latitude_and_longitude_out_of_range(lat: float, lon: float, field: str) -> None:
    assert field in check_lat_lon(lat, lon)


def test_it_refuses_a_circle_outside_viet_nam() -> None:
    assert "lat" in check_circle(13.75, 100.5, 500)  # Bangkok
    assert check_circle(16.5, 112.0, 500) == {}  # Hoàng Sa
    assert check_circle(8.65, 111.9, 500) == {}  # Trường Sa


def test_it_accepts_a_valid_polygon_and_matches_points_inside_and_on_the_edge() -> None:
    polygon = polygon_parse(square(105.85, 21.02))
    area = Area(polygon=polygon)
    assert area.distance_m(21.025, 105.855) == 0
    assert area.distance_m(21.02, 105.855) == 0  # on the edge
    outside = area.distance_m(21.02 - 100 * ONE_METRE, 105.855)
    assert outside is not None
    assert 95 < outside < 105


def test_it_accepts_the_polygon_as_json_text_or_a_feature() -> None:
    assert polygon_parse(json.dumps(square(105.85, 21.02))).is_valid
    assert polygon_parse({"type": "Feature", "geometry": square(105.85, 21.02), "properties": {}}).is_valid


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        pytest.param({"type": "Polygon", "coordinates": [[[105.85, 21.02], [105.86, 21.03], [105.86, 21.02],
                                                          [105.85, 21.03], [105.85, 21.02]]]},
                     "crosses itself", id="self-intersecting bow tie"),
        pytest.param(square(100.5, 13.7), "inside Viet Nam", id="Bangkok"),
        pytest.param(square(109.9, 21.0, size=6), "inside Viet Nam", id="reaching outside the box"),
        pytest.param({"type": "Point", "coordinates": [105.85, 21.02]}, "Polygon", id="not a polygon"),
        pytest.param({"type": "Polygon", "coordinates": [[[105.85, 21.02], [105.86, 21.02], [105.85, 21.02]]]},
                     "4 positions", id="too few positions"),
        pytest.param({"type": "Polygon", "coordinates": [[[105.85, 21.02], [105.86, 21.02], [105.86, 21.03],
                                                          [105.85, 21.03]]]}, "end where it starts", id="open ring"),
        pytest.param({"type": "Polygon", "coordinates": [[["a", 21.02], [105.86, 21.02], [105.86, 21.03],
                                                          ["a", 21.02]]]}, "[longitude, latitude]", id="text"),
        pytest.param({"type": "Polygon", "coordinates": [[[105.85, 21.02], [105.86, 21.02], [105.87, 21.02],
                                                          [105.85, 21.02]]]}, "no area", id="flat"),
        pytest.param("{not json", "not valid JSON", id="bad json"),
    ],
)
def test_it_refuses_bad_polygons_with_a_clear_message(raw: object, words: str) -> None:
    with translation.override("en"), pytest.raises(GeometryError, match=words):
        polygon_parse(raw)


def test_it_refuses_geojson_over_one_megabyte() -> None:
    ring = [[105.85 + i * 1e-7, 21.02] for i in range(60_000)]
    text = json.dumps({"type": "Polygon", "coordinates": [ring]})
    assert len(text) > 1024 * 1024
    with pytest.raises(GeometryError, match="1 MB"):
        polygon_parse(text)
