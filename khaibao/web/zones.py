"""Public zone pages: the list + map of epidemic zones and places, and "am I in or near one"."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from khaibao.core.params import code_in_range
from khaibao.places.models import Ward
from khaibao.zones import lookup, present, selectors
from khaibao.zones.geometry import check_lat_lon
from khaibao.zones.index import NEAR_M, Entry


def _code(value: str | None) -> int | None:
    """A place code from the query string; None when missing, not a number or no code at all."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if code_in_range(number) else None


def _float(value: str | None) -> float | None:
    try:
        return float(value or "")
    except ValueError:
        return None


def _card(entry: Entry, **extra: Any) -> dict[str, Any]:
    return {"entry": entry, "props": present.properties(entry), "advice": present.advice(entry), **extra}


@require_GET
def zones_list(request: HttpRequest) -> HttpResponse:
    """Zones in force and place notices, filterable by province, with a map when JS and tiles load."""
    province = _code(request.GET.get("province"))
    _token, entries = lookup.zones_shown(province_code=province)
    context = {
        "provinces": selectors.provinces_for_select(),
        "province": province,
        "zones": [_card(e) for e in entries if e.kind == "zone"],
        "places": [_card(e) for e in entries if e.kind == "place"],
        "geojson": present.feature_collection(entries),
    }
    return render(request, "web/zones/list.html", context)


@require_GET
def zones_check(request: HttpRequest) -> HttpResponse:
    """"Am I in or near an epidemic area?" — by the browser's location (only after the person
    pressed the button and the browser asked them), by a ward they pick, or, signed in, by
    their household's home wards."""
    errors: dict[str, str] = {}
    results: list[dict[str, Any]] = []
    lat, lon = _float(request.GET.get("lat")), _float(request.GET.get("lon"))
    ward_code = _code(request.GET.get("ward"))
    province = _code(request.GET.get("province"))
    asked_point = "lat" in request.GET or "lon" in request.GET
    if asked_point:
        if lat is None or lon is None:
            errors["point"] = _("We could not read your location. Choose your ward instead.")
        else:
            errors = check_lat_lon(lat, lon)
        if not errors:
            # A point names no province (we know no boundaries): ward-only zones anywhere
            # leave the answer open, and the page asks for the ward instead of an all-clear.
            answer = lookup.point_check(lat, lon)  # type: ignore[arg-type]
            results.append({
                "title": _("Where you are now"),
                "matches": [_card(m.entry, how=m.how, distance_m=m.distance_m) for m in answer.matches],
                "ward_zones_unchecked": answer.ward_zones_unchecked,
            })
    wards: list[Ward] = []
    if ward_code is not None:
        ward = selectors.ward_get(ward_code)
        if ward is None:
            errors["ward"] = _("Unknown ward. Choose it from the list.")
        else:
            wards.append(ward)
            province = ward.province_id
    home_wards = selectors.household_home_wards(request.user)
    for ward in [*wards, *[w for w in home_wards if w not in wards]]:
        matches = lookup.zones_at_ward(ward)
        results.append({
            "title": f"{ward.name}, {ward.province.name}",
            "home": ward in home_wards,
            "matches": [_card(m.entry, how=m.how, distance_m=0) for m in matches],
        })
    context = {
        "errors": errors,
        "results": results,
        "provinces": selectors.provinces_for_select(),
        "province": province,
        "wards": selectors.wards_for_select(province) if province is not None else [],
        "ward_code": ward_code,
        "near_m": NEAR_M,
    }
    return render(request, "web/zones/check.html", context, status=400 if errors else 200)
