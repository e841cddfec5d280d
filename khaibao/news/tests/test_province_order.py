"""The provinces an official may address news to are listed in Vietnamese reading order."""

from __future__ import annotations

from typing import Any

from khaibao.news.selectors import publishable_provinces
from khaibao.places.names import vietnamese_sort_key


def test_it_lists_the_provinces_in_reading_order(world: Any) -> None:
    names = [p.name for p in publishable_provinces(world.national)]
    assert len(names) == 34
    assert names.index("Cao Bằng") < names.index("Đắk Lắk") < names.index("Gia Lai")
    assert names == sorted(names, key=vietnamese_sort_key)


def test_a_province_official_addresses_only_their_province(world: Any) -> None:
    assert [p.code for p in publishable_provinces(world.province)] == [world.hanoi.code]
    assert publishable_provinces(world.lan) == []
