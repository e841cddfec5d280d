"""The epidemic-zone pages list provinces and wards in Vietnamese alphabetical order."""

from __future__ import annotations

import re

from django.test import Client

from khaibao.places.names import vietnamese_sort_key
from khaibao.zones.selectors import provinces_for_select, wards_for_select


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return [label for value, label in re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select[1])]


def _assert_province_order(names: list[str]) -> None:
    assert len(names) == 34
    assert names.index("Cà Mau") < names.index("Cao Bằng")
    assert names[names.index("Cao Bằng") + 1] == "Đắk Lắk"  # right after the C… (and D…) names, not at the end
    assert names.index("Đồng Tháp") < names.index("Gia Lai")
    assert names == sorted(names, key=vietnamese_sort_key)


def _assert_ward_order(names: list[str]) -> None:
    assert names.index("Phường Dương Nội") < names.index("Phường Đại Mỗ") < names.index("Phường Giảng Võ")
    assert names.index("Phường Ô Chợ Dừa") < names.index("Phường Yên Sở")
    assert names == sorted(names, key=vietnamese_sort_key)


def test_the_selectors_list_in_vietnamese_order(db):
    _assert_province_order([p.name for p in provinces_for_select()])
    _assert_ward_order([w.name for w in wards_for_select(1)])


def test_the_zone_pages_list_in_vietnamese_order(db):
    _assert_province_order(_options(Client().get("/zones/").content.decode(), "province"))
    check = Client().get("/zones/check/", {"province": 1}).content.decode()
    _assert_province_order(_options(check, "province"))
    _assert_ward_order(_options(check, "ward"))

