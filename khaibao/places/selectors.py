from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from khaibao.places.models import Country, Province, Ward


def provinces_list() -> QuerySet[Province]:
    return Province.objects.all()


def province_get(code: int) -> Province:
    province = Province.objects.filter(code=code).first()
    if province is None:
        raise Http404
    return province


def wards_of_province(code: int) -> QuerySet[Ward]:
    province = province_get(code)
    return Ward.objects.filter(province=province).order_by("name")


def countries_list() -> QuerySet[Country]:
    return Country.objects.all()
