"""Epidemic zones and places: the public list (GeoJSON, cacheable), "am I in a zone", and
officials' declarations (every change a new version)."""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator

from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut, StrictSchema
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.core.params import date_in_range, date_range_message
from khaibao.zones import lookup, present, selectors
from khaibao.zones.geometry import check_lat_lon
from khaibao.zones.inputs import UNSET, CircleInput, PlaceInput, Unset, ZoneInput, moment
from khaibao.zones.models import PlaceVersion, ZoneVersion
from khaibao.zones.places import place_declare, place_update
from khaibao.zones.reach import place_reach, version_reach
from khaibao.zones.zones import zone_declare, zone_update

router = Router(tags=["zones"])
T = TypeVar("T")


class CircleIn(StrictSchema):
    lat: float
    lon: float
    radius_m: float = Field(..., description="0 < radius ≤ 50000 metres")


class AdviceIn(StrictSchema):
    vi: str = ""
    en: str = ""


_DATE_HELP = "yyyy-mm-dd (a whole day) or an ISO 8601 date and time; Asia/Ho_Chi_Minh when no offset"


def _moment_in_range(value: str | None) -> str | None:
    # Read as the zone's own parser reads it (text it cannot read gets its message there);
    # the date range is the API's (core.params), as for every ApiDate and ApiDateTime.
    try:
        when = moment(value)
    except ValueError:
        return value
    if when is not None and not date_in_range(when):
        raise ValueError(date_range_message())
    return value


# A zone's or place's date, or date and time, as text (see _DATE_HELP).
Moment = Annotated[str, AfterValidator(_moment_in_range)]


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
    valid_from: Moment | None = Field(None, description=f"Default now. {_DATE_HELP}")
    valid_until: Moment | None = Field(None, description=_DATE_HELP)
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
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    advice: str | AdviceIn | None = None
    end: bool = Field(False, description="End the zone now (a new version with valid_until = now)")


class PlaceIn(StrictSchema):
    name: str = Field(..., description="The address or name of the place")
    province_code: int | None = None
    ward_code: int | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: float = 100
    window_start: Moment = Field(..., description=_DATE_HELP)
    window_end: Moment = Field(..., description=_DATE_HELP)
    advice: str | AdviceIn | None = None


class PlacePatch(StrictSchema):
    name: str | None = None
    ward_code: int | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    window_start: Moment | None = None
    window_end: Moment | None = None
    advice: str | AdviceIn | None = None
    withdrawn: bool | None = None


class RunOut(Schema):
    status: str
    status_label: str = Field(..., description="the status in words, in the request's language")
    expected: int
    processed: int
    warned: int = Field(..., description="people whose warning reached at least one account (their own, a household owner's, a volunteer's)")
    unreachable: int = Field(..., description="people handled with nobody to notify (no account, household or volunteer): to call or visit")
    reassessed: int
    raised: int
    percent: int


class WardNameOut(Schema):
    code: int
    name: str


class ReachOut(Schema):
    """Whom the version's warnings go to (issue 17): people are found by ward, so a circle or a
    polygon alone warns nobody and is only answered to people who check their location."""

    wards: list[WardNameOut] = Field(..., description="the wards whose residents (and travellers) are warned")
    province: WardNameOut | None = Field(..., description="the province, when the whole province is warned")
    location_check_only: bool = Field(..., description="no ward and not the whole province: nobody is warned")
    level_warns: bool = Field(..., description="false below the rule set's lowest warning level: nobody is warned")
    residents: int = Field(..., description="people living in the wards (or province) reached")
    reached: int = Field(..., description="of the residents, those with someone to notify (their own account, a household owner, a volunteer)")
    unreachable: int = Field(..., description="of the residents, those with nobody to notify: the official calls or visits them")
    suggested_wards: list[WardNameOut] = Field(
        ..., description="wards not attached whose known points (published places, reports) lie inside the circle "
        "or polygon: send them in ward_codes to warn their residents"
    )


class ZoneVersionOut(Schema):
    zone_id: int
    version: int
    change: str
    change_label: str = Field(..., description="the change in words, in the request's language")
    name: str
    level: int
    colour: str
    colour_word: str = Field(..., description="the level's colour in words, in the request's language (as GET /zones)")
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
    reach: ReachOut


class PlaceVersionOut(Schema):
    place_id: int
    version: int
    change: str
    change_label: str = Field(..., description="the change in words, in the request's language")
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
    reach: ReachOut


class CheckQuery(Schema):
    lat: float | None = None
    lon: float | None = None
    ward_code: int | None = None


def _run_out(version: ZoneVersion | PlaceVersion) -> RunOut | None:
    run = getattr(version, "warning_run", None)
    if run is None:
        return None
    return RunOut(
        status=run.status, status_label=str(run.get_status_display()), expected=run.expected, processed=run.processed, warned=run.warned,
        unreachable=run.unreachable, reassessed=run.reassessed, raised=run.raised, percent=run.percent,
    )


def _zone_out(version: ZoneVersion) -> ZoneVersionOut:
    return ZoneVersionOut(
        zone_id=version.zone_id, version=version.number, change=version.change,
        change_label=str(version.get_change_display()), name=version.name,
        level=version.level, colour=version.colour, colour_word=version.colour_word, lockdown=version.lockdown, isolation=version.isolation,
        whole_province=version.whole_province, province_code=version.zone.province_id,
        ward_codes=sorted(w.code for w in version.wards.all()),
        circle={"lat": version.circle_lat, "lon": version.circle_lon, "radius_m": float(version.circle_radius_m)}  # type: ignore[dict-item,arg-type]
        if version.has_circle else None,
        polygon=version.polygon, valid_from=version.valid_from.isoformat(),
        valid_until=version.valid_until.isoformat() if version.valid_until else None,
        advice=AdviceIn(vi=version.advice_vi, en=version.advice_en), warning=_run_out(version),
        reach=ReachOut(**version_reach(version).as_dict()),
    )


def _place_out(version: PlaceVersion) -> PlaceVersionOut:
    return PlaceVersionOut(
        place_id=version.place_id, version=version.number, change=version.change,
        change_label=str(version.get_change_display()), name=version.name,
        province_code=version.place.province_id, ward_code=version.ward_id, lat=version.lat, lon=version.lon,
        radius_m=version.radius_m, window_start=version.window_start.isoformat(),
        window_end=version.window_end.isoformat(), withdrawn=version.withdrawn,
        advice=AdviceIn(vi=version.advice_vi, en=version.advice_en), warning=_run_out(version),
        reach=ReachOut(**place_reach(version).as_dict()),
    )


def _sent(data: StrictSchema) -> set[str]:
    """The fields the client sent: all of a new zone's or place's (defaults count), only those
    present in a PATCH."""
    return set(data.model_fields_set) if isinstance(data, ZonePatch | PlacePatch) else set(type(data).model_fields)


def _pick(sent: set[str], name: str, value: T) -> T | Unset:
    return value if name in sent else UNSET


def _advice(sent: set[str], advice: str | AdviceIn | None) -> tuple[str | Unset, str | Unset]:
    """The API's `advice` (text, or {vi, en}) as the services' advice_vi / advice_en: text is
    the Vietnamese advice and leaves the English one as it was."""
    if "advice" not in sent:
        return UNSET, UNSET
    if isinstance(advice, AdviceIn):
        return advice.vi, advice.en
    return advice or "", UNSET


def _zone_input(data: ZoneIn | ZonePatch) -> ZoneInput:
    sent = _sent(data)
    circle = data.circle
    advice_vi, advice_en = _advice(sent, data.advice)
    return ZoneInput(
        name=_pick(sent, "name", data.name), level=_pick(sent, "level", data.level),
        lockdown=_pick(sent, "lockdown", data.lockdown), isolation=_pick(sent, "isolation", data.isolation),
        whole_province=_pick(sent, "whole_province", data.whole_province),
        province_code=_pick(sent, "province_code", data.province_code),
        ward_codes=_pick(sent, "ward_codes", data.ward_codes),
        circle=_pick(sent, "circle", CircleInput(lat=circle.lat, lon=circle.lon, radius_m=circle.radius_m) if circle else None),
        polygon=_pick(sent, "polygon", data.polygon),
        valid_from=_pick(sent, "valid_from", data.valid_from), valid_until=_pick(sent, "valid_until", data.valid_until),
        advice_vi=advice_vi, advice_en=advice_en,
    )


def _place_input(data: PlaceIn | PlacePatch) -> PlaceInput:
    sent = _sent(data)
    advice_vi, advice_en = _advice(sent, data.advice)
    return PlaceInput(
        name=_pick(sent, "name", data.name),
        province_code=_pick(sent, "province_code", data.province_code) if isinstance(data, PlaceIn) else UNSET,
        ward_code=_pick(sent, "ward_code", data.ward_code), lat=_pick(sent, "lat", data.lat),
        lon=_pick(sent, "lon", data.lon), radius_m=_pick(sent, "radius_m", data.radius_m),
        window_start=_pick(sent, "window_start", data.window_start),
        window_end=_pick(sent, "window_end", data.window_end),
        withdrawn=_pick(sent, "withdrawn", data.withdrawn) if isinstance(data, PlacePatch) else UNSET,
        advice_vi=advice_vi, advice_en=advice_en,
    )


@router.get("", auth=None, response={200: dict[str, Any], 304: None, 400: ErrorOut})
def zones_list(request: HttpRequest, province: int | None = None) -> HttpResponse:
    """Zones in force and place notices still relevant, as a GeoJSON FeatureCollection.

    Each feature has its level, colour, validity and advice in the request's language.
    Circles are Points with `radius_m`; ward-only zones have no geometry (see `wards`).
    Send the `ETag` back as `If-None-Match` to get 304 while nothing changed.
    """
    token, entries = lookup.zones_shown(province_code=province)
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
    ward (`ward_code`: zones naming the ward or covering its province, and place notices).

    `ward_zones_unchecked` (boolean): true when zones or places defined only by wards (or a whole
    province) are in force that a point cannot be tested against — we know no ward boundaries.
    No feature then does not mean no epidemic area: ask again with the `ward_code`. Always false
    for a ward."""
    if query.ward_code is not None:
        ward = selectors.ward_get(query.ward_code)
        if ward is None:
            raise ServiceError(_("Unknown ward."), fields={"ward_code": _("Unknown ward code.")})
        matches = lookup.zones_at_ward(ward)
        unchecked = False
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
        answer = lookup.point_check(query.lat, query.lon)  # type: ignore[arg-type]
        matches, unchecked = answer.matches, answer.ward_zones_unchecked
        asked = {"point": {"lat": query.lat, "lon": query.lon}}
    features = [present.feature(m.entry, match=m.how, distance_m=m.distance_m) for m in matches]
    body = {
        **asked,
        "in_epidemic_area": any(m.how != "near" and lookup.counts_as_epidemic(m.entry) for m in matches),
        "ward_zones_unchecked": unchecked,
        "type": "FeatureCollection",
        "features": features,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"  # a location is personal: keep it out of shared caches
    return response


@router.post("", response={201: ZoneVersionOut, 400: ErrorOut, 403: ErrorOut})
def zone_create(request: AuthedRequest, data: ZoneIn) -> Status:
    """Declare a zone (province officials in their province, national officials anywhere).
    At least one of ward_codes, circle, polygon (or whole_province)."""
    version = zone_declare(actor=request.auth, data=_zone_input(data), ip=client_ip(request))
    return Status(201, _zone_out(version))


@router.get("/{int:zone_id}", response={200: dict[str, Any], 404: ErrorOut})
def zone_detail(request: AuthedRequest, zone_id: int) -> dict[str, Any]:
    """A zone's versions, newest first, each with its warning run (officials)."""
    zone = selectors.zone_for_official(request.auth, zone_id)
    versions = selectors.zone_versions(zone)
    totals = selectors.zone_warning_totals(zone)
    return {
        "id": zone.pk,
        "province_code": zone.province_id,
        **{key: totals[key] for key in ("warned", "unreachable")},
        "versions": [json.loads(_zone_out(v).model_dump_json()) for v in versions],
    }


@router.patch("/{int:zone_id}", response={200: ZoneVersionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def zone_patch(request: AuthedRequest, zone_id: int, data: ZonePatch) -> ZoneVersionOut:
    """Change a zone: a new version (raise, lower, edit) or `"end": true`. Nothing is deleted."""
    zone = selectors.zone_for_manager(request.auth, zone_id)
    version = zone_update(actor=request.auth, zone=zone, data=_zone_input(data), end=data.end, ip=client_ip(request))
    return _zone_out(version)


@router.post("/places", response={201: PlaceVersionOut, 400: ErrorOut, 403: ErrorOut})
def place_create(request: AuthedRequest, data: PlaceIn) -> Status:
    """Publish a place with a time window (mốc dịch tễ): a ward and/or a point, the window, advice."""
    version = place_declare(actor=request.auth, data=_place_input(data), ip=client_ip(request))
    return Status(201, _place_out(version))


@router.patch("/places/{int:place_id}", response={200: PlaceVersionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def place_patch(request: AuthedRequest, place_id: int, data: PlacePatch) -> PlaceVersionOut:
    """Change a place notice (a new version); `"withdrawn": true` takes it off the list."""
    place = selectors.place_for_manager(request.auth, place_id)
    version = place_update(actor=request.auth, place=place, data=_place_input(data), ip=client_ip(request))
    return _place_out(version)
