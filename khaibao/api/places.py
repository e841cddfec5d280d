from __future__ import annotations

from ninja import Field, Router, Schema

from khaibao.api.auth import AuthedRequest
from khaibao.places import selectors
from khaibao.places.models import Province

router = Router(tags=["places"], auth=None)


class ProvinceOut(Schema):
    code: int
    name: str


class WardOut(Schema):
    code: int
    name: str
    province_code: int


class CountryOut(Schema):
    code: str
    name: str = Field(..., description="in the request's language")
    name_vi: str
    name_en: str


@router.get("/provinces", response=list[ProvinceOut])
def provinces(request: AuthedRequest) -> list[Province]:
    """All 34 provinces and centrally-run cities, in Vietnamese reading order."""
    return selectors.provinces_list()


@router.get("/provinces/{code}/wards", response=list[WardOut])
def wards(request: AuthedRequest, code: int) -> list[dict[str, object]]:
    """The wards and communes of a province, by name."""
    return [
        {"code": w.code, "name": w.name, "province_code": w.province_id}
        for w in selectors.wards_of_province(code)
    ]


@router.get("/countries", response=list[CountryOut])
def countries(request: AuthedRequest) -> list[dict[str, str]]:
    """ISO 3166-1 countries and territories with their CLDR names, Việt Nam first, then in the
    alphabetical order of the request's language (Vietnamese collation for Vietnamese)."""
    return [
        {"code": c.code, "name": c.name, "name_vi": c.name_vi, "name_en": c.name_en} for c in selectors.countries_list()
    ]


