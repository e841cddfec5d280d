"""Province and ward lists in Vietnamese alphabetical order, not the database's code-point order
(a tester found "Cà Mau" after "Cao Bằng", every "Đ…" at the end, "Phường Ô Chợ Dừa" after
"Phường Yên Sở")."""

from __future__ import annotations

from khaibao.places.names import vietnamese_sort_key
from khaibao.places.selectors import wards_by_province, wards_of_province


def _before(names: list[str], first: str, second: str) -> bool:
    return names.index(first) < names.index(second)


def _assert_hanoi_ward_order(names: list[str]) -> None:
    assert _before(names, "Phường Cầu Giấy", "Phường Cửa Nam")
    assert _before(names, "Phường Dương Nội", "Phường Đại Mỗ")
    assert _before(names, "Phường Đống Đa", "Phường Giảng Võ")  # "Đ…" right after "D…", not at the end
    assert _before(names, "Phường Ô Chợ Dừa", "Phường Yên Sở")
    assert _before(names, "Phường Yên Sở", "Xã Chuyên Mỹ")
    assert _before(names, "Xã Đông Anh", "Xã Gia Lâm")
    assert names == sorted(names, key=vietnamese_sort_key)


def test_it_lists_a_provinces_wards_in_vietnamese_order(db):
    _assert_hanoi_ward_order([w.name for w in wards_of_province(1)])


def test_the_api_lists_wards_in_the_same_order(api):
    # The household, report and venue forms load their ward lists from here.
    resp = api.get("/places/provinces/1/wards")
    assert resp.status_code == 200
    _assert_hanoi_ward_order([w["name"] for w in resp.json()])


def test_the_national_picker_orders_provinces_and_their_wards(db):
    groups = wards_by_province()
    provinces = [p.name for p, _ in groups]
    assert _before(provinces, "Cà Mau", "Cao Bằng")
    assert provinces[provinces.index("Cao Bằng") + 1] == "Đắk Lắk"  # no province starts with D
    assert _before(provinces, "Đồng Tháp", "Gia Lai")
    assert provinces == sorted(provinces, key=vietnamese_sort_key)
    hanoi = next(wards for p, wards in groups if p.code == 1)
    _assert_hanoi_ward_order([w.name for w in hanoi])


def test_a_double_space_in_a_name_sorts_as_one() -> None:
    # Ten wards of the official list are written with two spaces ("Phường  Tân An").
    names = ["Phường Bình Kiến", "Phường  Tân An", "Phường An Đông"]
    assert sorted(names, key=vietnamese_sort_key) == ["Phường An Đông", "Phường Bình Kiến", "Phường  Tân An"]
