"""Who the console's zone and place pages are for: officials see them (ward health stations
included), province and national officials declare — each in the provinces they manage."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from khaibao.core.params import code_in_range
from khaibao.zones import selectors
from khaibao.zones.inputs import province_map_bounds


def official(request: HttpRequest) -> Any:
    """The signed-in official who may see zones and places; 403 for anyone else."""
    if not selectors.can_view_zones_console(request.user):
        raise PermissionDenied
    return request.user


def declarer(request: HttpRequest) -> Any:
    """The signed-in official who may declare and change zones and places; 403 for anyone else."""
    user = official(request)
    if not selectors.can_declare_zones(user):
        raise PermissionDenied
    return user


def province_choice(request: HttpRequest, user: Any) -> int | None:
    """The province a new zone or place is declared in: the official's own, or (national
    officials) the one chosen on the page."""
    codes = selectors.declarable_province_codes(user)
    if codes:
        return codes[0]
    try:
        value = int(request.GET.get("province") or request.POST.get("province") or "")
    except ValueError:
        return None
    return value if code_in_range(value) else None


def manages(user: Any, province_code: int) -> bool:
    """Whether `user` declares in `province_code` (the change buttons of a zone or place page)."""
    codes = selectors.declarable_province_codes(user)
    return codes is None or province_code in codes


def declare_context(user: Any, province: int | None) -> dict[str, Any]:
    """What a page declaring a new zone or place shows besides its form: the province (chosen by a
    national official), the list to choose from, and the map opened on it."""
    return {
        "province": province, "provinces": selectors.provinces_for_select(),
        "map_bounds": province_map_bounds(province),
        "choose_province": selectors.declarable_province_codes(user) is None,
    }
