from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.http import Http404
from django.utils.translation import get_language

from khaibao.core.params import code_in_range
from khaibao.places.models import Country, Province, Ward
from khaibao.places.names import country_order, vietnamese_sort_key

P = TypeVar("P", Province, Ward)


def in_reading_order(places: Iterable[P]) -> list[P]:
    """Provinces or wards in Vietnamese alphabetical order of their names ("Cà Mau" before "Cao
    Bằng", "Đ…" after "D…") — the order of every province and ward list a person reads. Names are
    Vietnamese in every language; the database sorts them by code point ("Đ…" last)."""
    return sorted(places, key=lambda place: vietnamese_sort_key(place.name))


def provinces_list() -> list[Province]:
    """Every province, in Vietnamese reading order (as every province list a person sees)."""
    return in_reading_order(Province.objects.all())


def province_of(code: int) -> Province | None:
    """The province with this code, or None (any number: one outside the codes' range is not looked up)."""
    return Province.objects.filter(code=code).first() if code_in_range(code) else None


def province_get(code: int) -> Province:
    province = province_of(code)
    if province is None:
        raise Http404
    return province


def ward_known(code: int) -> bool:
    """Whether a ward has this code (any number: one outside the codes' range is not looked up)."""
    return code_in_range(code) and Ward.objects.filter(code=code).exists()


def wards_of_province(code: int) -> list[Ward]:
    """The province's wards in reading order; Http404 for an unknown province."""
    province = province_get(code)
    return in_reading_order(Ward.objects.filter(province=province))


def countries_list() -> list[Country]:
    """Every country in reading order for the active language: Việt Nam first, then the others
    alphabetically (Vietnamese collation in Vietnamese) — the order of every country list."""
    language = get_language() or "vi"
    countries = {c.code: c for c in Country.objects.all()}
    names = {code: (c.name_vi if language.startswith("vi") else c.name_en) for code, c in countries.items()}
    return [countries[code] for code in country_order(names, language)]


def wards_by_province() -> list[tuple[Province, list[Ward]]]:
    """Every ward, grouped under its province (both in reading order): for national pickers. Two queries."""
    groups: dict[int, list[Ward]] = {}
    for ward in in_reading_order(Ward.objects.all()):
        groups.setdefault(ward.province_id, []).append(ward)
    return [(p, groups.get(p.code, [])) for p in in_reading_order(Province.objects.all())]
