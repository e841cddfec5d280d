from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import get_language

from khaibao.core.params import code_in_range
from khaibao.places.models import Country, Province, Ward
from khaibao.places.names import country_order


def provinces_list() -> QuerySet[Province]:
    return Province.objects.all()


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


def wards_of_province(code: int) -> QuerySet[Ward]:
    province = province_get(code)
    return Ward.objects.filter(province=province).order_by("name")


def countries_list() -> list[Country]:
    """Every country in reading order for the active language: Việt Nam first, then the others
    alphabetically (Vietnamese collation in Vietnamese) — the order of every country list."""
    language = get_language() or "vi"
    countries = {c.code: c for c in Country.objects.all()}
    names = {code: (c.name_vi if language.startswith("vi") else c.name_en) for code, c in countries.items()}
    return [countries[code] for code in country_order(names, language)]


def wards_by_province() -> list[tuple[Province, list[Ward]]]:
    """Every ward, grouped under its province (both by name): for national pickers. Two queries."""
    groups: dict[int, list[Ward]] = {}
    for ward in Ward.objects.order_by("name"):
        groups.setdefault(ward.province_id, []).append(ward)
    return [(p, groups.get(p.code, [])) for p in Province.objects.order_by("name")]
