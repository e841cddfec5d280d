"""Epidemic zones and places: the public list (GeoJSON, cacheable), "am I in a zone", and
officials' declarations (every change a new version)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from khaibao.api.schemas import ErrorOut, StrictSchema
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.zones import present, selectors, services
from khaibao.zones.geometry import check_lat_lon
from khaibao.zones.models import PlaceVersion, ZoneVersion

router = Router(tags=["zones"])


class CircleIn(StrictSchema):
    lat: float
    lon: float
    radius_m: float = Field(..., description="0 < radius ≤ 50000 metres")


class AdviceIn(StrictSchema):
    vi: str = ""
    en: str = ""


_DATE_HELP = "yyyy-mm-dd (a whole day) or an ISO 8601 date and time; Asia/Ho_Chi_Minh when no offset"


class ZoneIn(StrictSchema):
    name: str
    level: int = Field(..., description="1 xanh (green), 2 vàng (yellow), 3 cam (orange), 4 đỏ (red)")
    lockdown: bool = False
    isolation: bool = False
    whole_province: bool = False
    province_code: int | None = Field(None, description="Default: the official's province, or the wards' province")
    ward_codes: list[int] = []
    circle: CircleIn | None = None
    polygon: dict[str, Any] | None = Field(None, description="A GeoJSON Polygon inside Viet Nam")
    valid_from: str | None = Field(None, description=f"Default now. {_DATE_HELP}")
    valid_until: str | None = Field(None, description=_DATE_HELP)
    advice: str | AdviceIn | None = Field(None, description="Vietnamese text, or {vi, en}")


class ZonePatch(StrictSchema):
    name: str | None = None
    level: int | None = None
    lockdown: bool | None = None
    isolation: bool | None = None
    whole_province: bool | None = None
    province_code: int | None = None
    ward_codes: list[int] | None = None
    circle: CircleIn | None = None
    polygon: dict[str, Any] | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    advice: str | AdviceIn | None = None
    end: bool = Field(False, description="End the zone now (a new version with valid_until = now)")


class PlaceIn(StrictSchema):
    name: str = Field(..., description="The address or name of the place")
    province_code: int | None = None
    ward_code: int | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: float = 100
    window_start: str = Field(..., description=_DATE_HELP)
    window_end: str = Field(..., description=_DATE_HELP)
    advice: str | AdviceIn | None = None


class PlacePatch(StrictSchema):
    name: str | None = None
    ward_code: int | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    window_start: str | None = None
    window_end: str | None = None
    advice: str | AdviceIn | None = None
    withdrawn: bool | None = None


class RunOut(Schema):
    status: str
    expected: int
    processed: int
    warned: int
    reassessed: int
    raised: int
    percent: int


class ZoneVersionOut(Schema):
    zone_id: int
    version: int
    change: str
    name: str
    level: int
    colour: str
    lockdown: bool
    isolation: bool
    whole_province: bool
    province_code: int
    ward_codes: list[int]
    circle: dict[str, float] | None
    polygon: dict[str, Any] | None
    valid_from: str
    valid_until: str | None
    advice: AdviceIn
    warning: RunOut | None


class PlaceVersionOut(Schema):
    place_id: int
    version: int
    change: str
    name: str
    province_code: int
    ward_code: int | None
    lat: float | None
    lon: float | None
    radius_m: int
    window_start: str
    window_end: str
    withdrawn: bool
    advice: AdviceIn
    warning: RunOut | None


class CheckQuery(Schema):
    lat: float | None = None
    lon: float | None = None
    ward_code: int | None = None


def _run_out(version: ZoneVersion | PlaceVersion) -> RunOut | None:
    run = getattr(version, "warning_run", None)
    if run is None:
        return None
    return RunOut(
        status=run.status, expected=run.expected, processed=run.processed, warned=run.warned,
        reassessed=run.reassessed, raised=run.raised, percent=run.percent,
    )


def _zone_out(version: ZoneVersion) -> ZoneVersionOut:
    return ZoneVersionOut(
        zone_id=version.zone_id, version=version.number, change=version.change, name=version.name,
        level=version.level, colour=version.colour, lockdown=version.lockdown, isolation=version.isolation,
        whole_province=version.whole_province, province_code=version.zone.province_id,
        ward_codes=sorted(w.code for w in version.wards.all()),
        circle={"lat": version.circle_lat, "lon": version.circle_lon, "radius_m": float(version.circle_radius_m)}  # type: ignore[dict-item,arg-type]
        if version.has_circle else None,
        polygon=version.polygon, valid_from=version.valid_from.isoformat(),
        valid_until=version.valid_until.isoformat() if version.valid_until else None,
        advice=AdviceIn(vi=version.advice_vi, en=version.advice_en), warning=_run_out(version),
    )


def _place_out(version: PlaceVersion) -> PlaceVersionOut:
    return PlaceVersionOut(
        place_id=version.place_id, version=version.number, change=version.change, name=version.name,
        province_code=version.place.province_id, ward_code=version.ward_id, lat=version.lat, lon=version.lon,
        radius_m=version.radius_m, window_start=version.window_start.isoformat(),
        window_end=version.window_end.isoformat(), withdrawn=version.withdrawn,
        advice=AdviceIn(vi=version.advice_vi, en=version.advice_en), warning=_run_out(version),
    )


def _service_data(payload: dict[str, Any]) -> dict[str, Any]:
    """The API's `advice` (text, or {vi, en}) as the services' advice_vi / advice_en."""
    if "advice" in payload:
        advice = payload.pop("advice")
        if isinstance(advice, dict):
            payload["advice_vi"] = advice.get("vi", "")
            payload["advice_en"] = advice.get("en", "")
        else:
            payload["advice_vi"] = advice or ""
    return payload


@router.get("", auth=None, response={200: dict[str, Any], 304: None, 400: ErrorOut})
def zones_list(request: HttpRequest, province: int | None = None) -> HttpResponse:
    """Zones in force and place notices still relevant, as a GeoJSON FeatureCollection.

    Each feature has its level, colour, validity and advice in the request's language.
    Circles are Points with `radius_m`; ward-only zones have no geometry (see `wards`).
    Send the `ETag` back as `If-None-Match` to get 304 while nothing changed.
    """
    token, entries = selectors.zones_shown(province_code=province)
    tag = present.etag(token, entries, province)
    headers = {"ETag": tag, "Cache-Control": "public, max-age=60", "Vary": "Accept-Language, Cookie"}
    if tag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
        response = HttpResponse(status=304)
    else:
        response = JsonResponse(present.feature_collection(entries), json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name] = value
    return response


@router.get("/check", auth=None, response={200: dict[str, Any], 400: ErrorOut})
def zones_check(request: HttpRequest, query: Query[CheckQuery]) -> HttpResponse:
    """Zones and places at a point (`lat`, `lon`: inside, or "near" within 1 km) or for a
    ward (`ward_code`: zones naming the ward or covering its province, and place notices)."""
    if query.ward_code is not None:
        ward = selectors.ward_get(query.ward_code)
        if ward is None:
            raise ServiceError(_("Unknown ward."), fields={"ward_code": _("Unknown ward code.")})
        matches = selectors.zones_at_ward(ward)
        asked: dict[str, Any] = {
            "ward": {"code": ward.code, "name": ward.name, "province": {"code": ward.province_id, "name": ward.province.name}}
        }
    else:
        fields: dict[str, str] = {}
        if query.lat is None:
            fields["lat"] = _("Give the latitude and longitude, or a ward code.")
        if query.lon is None:
            fields["lon"] = _("Give the latitude and longitude, or a ward code.")
        if not fields:
            fields = check_lat_lon(query.lat, query.lon)  # type: ignore[arg-type]
        if fields:
            raise ServiceError(_("Some fields need correcting."), fields=fields)
        matches = selectors.zones_at_point(query.lat, query.lon)  # type: ignore[arg-type]
        asked = {"point": {"lat": query.lat, "lon": query.lon}}
    features = [present.feature(m.entry, match=m.how, distance_m=m.distance_m) for m in matches]
    body = {
        **asked,
        "in_epidemic_area": any(m.how != "near" and selectors.counts_as_epidemic(m.entry) for m in matches),
        "type": "FeatureCollection",
        "features": features,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"  # a location is personal: keep it out of shared caches
    return response


@router.post("", response={201: ZoneVersionOut, 400: ErrorOut, 403: ErrorOut})
def zone_create(request: HttpRequest, data: ZoneIn) -> Status:
    """Declare a zone (province officials in their province, national officials anywhere).
    At least one of ward_codes, circle, polygon (or whole_province)."""
    payload = _service_data(data.model_dump())
    version = services.zone_declare(actor=request.auth, ip=client_ip(request), **payload)  # type: ignore[attr-defined]
    return Status(201, _zone_out(version))


@router.get("/{int:zone_id}", response={200: dict[str, Any], 404: ErrorOut})
def zone_detail(request: HttpRequest, zone_id: int) -> dict[str, Any]:
    """A zone's versions, newest first, each with its warning run (officials)."""
    zone = selectors.zone_for_official(request.auth, zone_id)  # type: ignore[attr-defined]
    versions = selectors.zone_versions(zone)
    return {
        "id": zone.pk,
        "province_code": zone.province_id,
        "warned": selectors.zone_warning_totals(zone)["warned"],
        "versions": [json.loads(_zone_out(v).model_dump_json()) for v in versions],
    }


@router.patch("/{int:zone_id}", response={200: ZoneVersionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def zone_patch(request: HttpRequest, zone_id: int, data: ZonePatch) -> ZoneVersionOut:
    """Change a zone: a new version (raise, lower, edit) or `"end": true`. Nothing is deleted."""
    zone = selectors.zone_for_manager(request.auth, zone_id)  # type: ignore[attr-defined]
    payload = _service_data(data.model_dump(exclude_unset=True))
    version = services.zone_update(actor=request.auth, zone=zone, ip=client_ip(request), **payload)  # type: ignore[attr-defined]
    return _zone_out(version)


@router.post("/places", response={201: PlaceVersionOut, 400: ErrorOut, 403: ErrorOut})
def place_create(request: HttpRequest, data: PlaceIn) -> Status:
    """Publish a place with a time window (mốc dịch tễ): a ward and/or a point, the window, advice."""
    payload = _service_data(data.model_dump())
    version = services.place_declare(actor=request.auth, ip=client_ip(request), **payload)  # type: ignore[attr-defined]
    return Status(201, _place_out(version))


@router.patch("/places/{int:place_id}", response={200: PlaceVersionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def place_patch(request: HttpRequest, place_id: int, data: PlacePatch) -> PlaceVersionOut:
    """Change a place notice (a new version); `"withdrawn": true` takes it off the list."""
    place = selectors.place_for_manager(request.auth, place_id)  # type: ignore[attr-defined]
    payload = _service_data(data.model_dump(exclude_unset=True))
    version = services.place_update(actor=request.auth, place=place, ip=client_ip(request), **payload)  # type: ignore[attr-defined]
    return _place_out(version)
