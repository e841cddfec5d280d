"""One box of Viet Nam for every map point the product takes (places.box): a report's point, a
venue's (both reports.services.point_errors), a zone's centre and outline (zones.geometry). They
used to hold two boxes (8–24 °N, 102–118 °E and 7–23.5 °N, 102–115 °E): a Trường Sa reef south of
8 °N was refused on a report and a venue while a zone could be drawn there, and a point in Palawan
was accepted on a report but refused as a zone's centre."""

from __future__ import annotations

import pytest

from khaibao.places.box import VIET_NAM_LAT, VIET_NAM_LON, in_viet_nam
from khaibao.reports.services import point_errors
from khaibao.zones.geometry import GeometryError, check_circle, polygon_parse

INSIDE = [
    (21.03, 105.85),  # Hà Nội
    (10.78, 106.70),  # TP. Hồ Chí Minh
    (23.36, 105.32),  # Lũng Cú, the northernmost point
    (8.60, 104.72),  # Mũi Cà Mau
    (16.50, 111.60),  # Hoàng Sa
    (7.89, 113.80),  # Đá Ba Kè, Trường Sa, south of 8 °N
    (10.38, 114.48),  # Sinh Tồn Đông, Trường Sa, east of 114 °E
]
OUTSIDE = [
    (23.80, 106.00),  # Guangxi, China
    (9.80, 118.70),  # Puerto Princesa, Palawan
    (13.75, 100.50),  # Bangkok
    (105.85, 21.03),  # Hà Nội with latitude and longitude swapped
    (0.0, 0.0),
]


@pytest.mark.parametrize(("lat", "lon"), INSIDE)
def test_a_point_in_viet_nam_is_taken_everywhere(lat: float, lon: float) -> None:
    assert in_viet_nam(lat, lon)
    assert point_errors(lat, lon) == {}  # a report's point and a venue's
    assert check_circle(lat, lon, 500) == {}  # a zone's centre


@pytest.mark.parametrize(("lat", "lon"), OUTSIDE)
def test_a_point_outside_is_refused_everywhere(lat: float, lon: float) -> None:
    assert not in_viet_nam(lat, lon)
    assert set(point_errors(lat, lon)) == {"lat"}
    assert "lat" in check_circle(lat, lon, 500)


def test_the_edges_are_inside_and_a_zone_outline_keeps_to_the_box() -> None:
    (south, north), (west, east) = VIET_NAM_LAT, VIET_NAM_LON
    for lat, lon in [(south, west), (north, east)]:
        assert in_viet_nam(lat, lon)
        assert point_errors(lat, lon) == {}
    square = {"type": "Polygon", "coordinates": [[[114.0, 10.0], [114.9, 10.0], [114.9, 10.5], [114.0, 10.0]]]}
    assert polygon_parse(square).is_valid
    over_the_edge = {"type": "Polygon", "coordinates": [[[114.0, 10.0], [115.2, 10.0], [115.2, 10.5], [114.0, 10.0]]]}
    with pytest.raises(GeometryError):
        polygon_parse(over_the_edge)
