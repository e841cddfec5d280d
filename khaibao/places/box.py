"""Viet Nam's bounding box: the one sanity check every map point the product takes goes through — a
report's point (reports.services.point_errors, and the report form before it is sent), a venue's
(venues.services), a zone's centre and outline (zones.geometry).

It catches swapped, mistyped or foreign coordinates; it is not a border. The mainland and coastal
islands span about 102.14–109.47 °E and 8.38–23.39 °N (Lũng Cú in the north, Hòn Khoai and Thổ Chu
in the south); Hoàng Sa (the Paracels, up to ~112.8 °E) and Trường Sa (the Spratlys, ~7.9–11.5 °N,
up to ~114.7 °E) reach further: one box a little generous on every side covers them all.
"""

from __future__ import annotations

from typing import Final

VIET_NAM_LAT: Final = (7.0, 23.5)
VIET_NAM_LON: Final = (102.0, 115.0)


def in_viet_nam(lat: float, lon: float) -> bool:
    """Whether a point is inside Viet Nam's bounding box (edges included)."""
    return VIET_NAM_LAT[0] <= lat <= VIET_NAM_LAT[1] and VIET_NAM_LON[0] <= lon <= VIET_NAM_LON[1]
