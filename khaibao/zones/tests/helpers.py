"""Builders for zone and place bodies."""

from __future__ import annotations

from typing import Any

HOAN_KIEM_LAKE = {"lat": 21.0285, "lon": 105.8522}
BEN_THANH_MARKET = {"lat": 10.7725, "lon": 106.6980}


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[
        [lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat],
    ]]}


def zone_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Phường Hoàn Kiếm",
        "level": 3,
        "lockdown": False,
        "ward_codes": [70],
        "advice": {"vi": "Hạn chế ra ngoài, gọi 1900 9095 nếu có triệu chứng.", "en": "Stay home; call 1900 9095 if unwell."},
    }
    body.update(overrides)
    return body


def place_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Siêu thị X, 12 phố Hàng Bài",
        "ward_code": 70,
        "lat": 21.0245,
        "lon": 105.8530,
        "window_start": "2026-11-12T18:00",
        "window_end": "2026-11-12T21:00",
        "advice": "Ai đã đến đây trong khung giờ trên cần gọi 1900 9095 và khai báo y tế.",
    }
    body.update(overrides)
    return body
