"""A province official's queue filters by ward in Vietnamese alphabetical order."""

from __future__ import annotations

from khaibao.cases.officials import jurisdiction_wards
from khaibao.places.names import vietnamese_sort_key


def test_a_province_officials_wards_come_in_vietnamese_order(world):
    names = [w.name for w in jurisdiction_wards(world.province)]
    assert names.index("Phường Dương Nội") < names.index("Phường Đống Đa") < names.index("Phường Giảng Võ")
    assert names.index("Phường Ô Chợ Dừa") < names.index("Phường Yên Sở")
    assert names == sorted(names, key=vietnamese_sort_key)
