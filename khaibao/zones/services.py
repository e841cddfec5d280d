"""Writes for zones (vùng dịch) and places with time windows (mốc dịch tễ), and the warning job.

Every change adds a version, moves the `current` pointer, rewrites ZoneState (the check index's
cache key) and writes its audit event in the same transaction. Declaring or raising a zone or
place queues its warning run once the transaction commits.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely import Polygon
from shapely.geometry import shape

from khaibao.accounts.models import Account
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.monitoring.models import LEVEL_ORDER, PersonStatus
from khaibao.people.models import Person
from khaibao.places.models import Province, Ward
from khaibao.risk import engine
from khaibao.zones import selectors
from khaibao.zones.geometry import GeometryError, check_circle, haversine_m, polygon_geojson, polygon_parse
from khaibao.zones.models import (
    LEVEL_WORDS,
    Change,
    Phase,
    Place,
    PlaceVersion,
    RunStatus,
    WarningReason,
    Zone,
    ZoneState,
    ZoneVersion,
    ZoneWarning,
    ZoneWarningRun,
)

NAME_MAX = 200
ADVICE_MAX = 5000
DEFAULT_PLACE_RADIUS_M = 100
WARNING_KIND = "zone_warning"


def warning_batch_size() -> int:
    return int(getattr(settings, "ZONE_WARNING_BATCH_SIZE", 10_000))


# --- Input helpers -----------------------------------------------------------------------


def moment(value: Any, *, end_of_day: bool = False) -> datetime | None:
    """An aware datetime from a datetime, a date or an ISO string; naive values are local time
    (Asia/Ho_Chi_Minh). A bare date means the start of that day — or its end for `end_of_day`,
    so "valid until 20/11" includes the 20th. Raises ValueError for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(value) from None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):
        if end_of_day:
            return timezone.make_aware(datetime.combine(value, time.max))
        return timezone.make_aware(datetime.combine(value, time.min))
    raise ValueError(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(fields: dict[str, str], name: str, value: Any, *, required: bool, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        fields[name] = _("Give text here.")
    elif required and not text:
        fields[name] = _("This field is required.")
    elif len(text) > limit:
        fields[name] = _("At most %(limit)d characters.") % {"limit": limit}
    return text


def _forbidden(message: str) -> ServiceError:
    return ServiceError(message, code="forbidden", status=403)


def _touch_state() -> None:
    token = uuid.uuid4().hex
    if not ZoneState.objects.filter(pk=1).update(counter=F("counter") + 1, token=token):
        ZoneState.objects.update_or_create(pk=1, defaults={"counter": 1, "token": token})


# --- Zones -------------------------------------------------------------------------------


@dataclass
class ZoneValues:
    name: str
    level: int
    lockdown: bool
    isolation: bool
    whole_province: bool
    wards: list[Ward]
    circle: tuple[float, float, int] | None
    polygon: dict[str, Any] | None
    valid_from: datetime
    valid_until: datetime | None
    advice_vi: str
    advice_en: str

    @property
    def ward_codes(self) -> set[int]:
        return {w.code for w in self.wards}

    @property
    def shape(self) -> Polygon | None:
        return shape(self.polygon) if self.polygon else None  # type: ignore[return-value]


def _values_of(version: ZoneVersion) -> ZoneValues:
    circle = None
    if version.has_circle:
        circle = (float(version.circle_lat), float(version.circle_lon), int(version.circle_radius_m))  # type: ignore[arg-type]
    return ZoneValues(
        name=version.name, level=version.level, lockdown=version.lockdown, isolation=version.isolation,
        whole_province=version.whole_province, wards=list(version.wards.all()), circle=circle,
        polygon=version.polygon, valid_from=version.valid_from, valid_until=version.valid_until,
        advice_vi=version.advice_vi, advice_en=version.advice_en,
    )


def _actor_provinces(actor: Any) -> list[int] | None:
    if not selectors.can_declare_zones(actor):
        if selectors.can_view_zones_console(actor):
            raise _forbidden(_("Ward health stations see zones; the province or the Ministry declares them."))
        raise _forbidden(_("Only province and national health officials declare epidemic zones."))
    return selectors.declarable_province_codes(actor)


def _zone_province(actor: Any, province_code: Any, wards: Sequence[Ward], fields: dict[str, str]) -> Province | None:
    allowed = _actor_provinces(actor)
    if province_code is not None:
        if not _is_int(province_code) or not 0 < province_code < 2**31:
            fields["province_code"] = _("Unknown province code.")
            return None
        if allowed is not None and province_code not in allowed:
            raise _forbidden(_("You can only declare zones in your own province."))
        province = Province.objects.filter(code=province_code).first()
        if province is None:
            fields["province_code"] = _("Unknown province code.")
        return province
    if allowed is not None:
        return Province.objects.get(code=allowed[0])
    codes = {w.province_id for w in wards}
    if len(codes) == 1:
        return Province.objects.get(code=codes.pop())
    fields["province_code"] = _("Choose the province the zone belongs to.")
    return None


def _wards(fields: dict[str, str], raw: Any) -> list[Ward]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple) or not all(_is_int(c) for c in raw):
        fields["ward_codes"] = _("Give a list of ward codes.")
        return []
    codes = list(dict.fromkeys(c for c in raw))
    if len(codes) > 5000:
        fields["ward_codes"] = _("Too many wards.")
        return []
    valid = [c for c in codes if 0 <= c < 2**31]
    found = {w.code: w for w in Ward.objects.filter(code__in=valid)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        fields["ward_codes"] = _("Unknown ward codes: %(codes)s.") % {"codes": ", ".join(map(str, unknown[:10]))}
    return [found[c] for c in codes if c in found]


def _circle(fields: dict[str, str], raw: Any) -> tuple[float, float, int] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        fields["circle"] = _('Give the circle as {"lat", "lon", "radius_m"}.')
        return None
    lat, lon, radius = raw.get("lat"), raw.get("lon"), raw.get("radius_m")
    errors: dict[str, str] = {}
    for key, value in (("lat", lat), ("lon", lon), ("radius_m", radius)):
        if not _is_number(value):
            errors[key] = _("Give a number.")
    if not errors:
        errors = check_circle(float(lat), float(lon), float(radius))  # type: ignore[arg-type]
    for key, message in errors.items():
        fields[f"circle.{key}"] = message
    if errors:
        return None
    return (float(lat), float(lon), max(1, round(float(radius))))  # type: ignore[arg-type]


def _polygon(fields: dict[str, str], raw: Any) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    try:
        return polygon_geojson(polygon_parse(raw))
    except GeometryError as exc:
        fields["polygon"] = str(exc)
        return None


def _validity(fields: dict[str, str], raw_from: Any, raw_until: Any, *, default_from: datetime) -> tuple[datetime, datetime | None]:
    start: datetime | None = default_from
    until: datetime | None = None
    try:
        start = moment(raw_from) or default_from
    except ValueError:
        fields["valid_from"] = _("Give a date (yyyy-mm-dd) or a date and time.")
    try:
        until = moment(raw_until, end_of_day=True)
    except ValueError:
        fields["valid_until"] = _("Give a date (yyyy-mm-dd) or a date and time.")
    if start is not None and until is not None and until < start:
        fields["valid_until"] = _("The end cannot be before the start.")
    return start or default_from, until


_MISSING = object()


def _zone_values(
    *, actor: Any, data: dict[str, Any], base: ZoneValues | None, province: Province | None
) -> tuple[ZoneValues, Province]:
    """Validate a whole zone (a new one, or `base` with `data` applied). Field errors all at once."""
    fields: dict[str, str] = {}

    def get(key: str, default: Any) -> Any:
        return data.get(key, default) if key in data else (getattr(base, key) if base is not None else default)

    name = _text(fields, "name", data["name"], required=True, limit=NAME_MAX) if "name" in data or base is None \
        else base.name
    level = get("level", None)
    if not _is_int(level) or not 1 <= level <= 4:
        fields["level"] = _("The level must be 1 (green), 2 (yellow), 3 (orange) or 4 (red).")
    flags = {}
    for key in ("lockdown", "isolation", "whole_province"):
        flags[key] = get(key, False)
        if not isinstance(flags[key], bool):
            fields[key] = _("Give true or false.")
    wards = _wards(fields, data["ward_codes"]) if "ward_codes" in data else (base.wards if base else [])
    circle = _circle(fields, data["circle"]) if "circle" in data else (base.circle if base else None)
    polygon = _polygon(fields, data["polygon"]) if "polygon" in data else (base.polygon if base else None)
    if province is None:
        province = _zone_province(actor, data.get("province_code"), wards, fields)
    if province is not None:
        outside = [w.code for w in wards if w.province_id != province.code]
        if outside:
            if selectors.declarable_province_codes(actor) is not None:
                raise _forbidden(_("You can only declare zones in your own province."))
            fields["ward_codes"] = _("These wards are not in %(province)s: %(codes)s.") % {
                "province": province.name, "codes": ", ".join(map(str, outside[:10])),
            }
    if not (flags["whole_province"] is True or wards or circle or polygon) and not {
        "ward_codes", "circle", "polygon"
    } & set(fields):
        fields["ward_codes"] = _("Give the area: wards, a circle or a polygon (or the whole province).")
    now = timezone.now()
    valid_from, valid_until = _validity(
        fields,
        data.get("valid_from", base.valid_from if base else None),
        data.get("valid_until", base.valid_until if base else None),
        default_from=base.valid_from if base is not None else now,
    )
    advice_vi = _text(fields, "advice_vi", data["advice_vi"], required=False, limit=ADVICE_MAX) \
        if "advice_vi" in data else (base.advice_vi if base else "")
    advice_en = _text(fields, "advice_en", data["advice_en"], required=False, limit=ADVICE_MAX) \
        if "advice_en" in data else (base.advice_en if base else "")
    if fields or province is None:
        raise ServiceError(_("Some fields need correcting."), fields=fields or {"province_code": _("Unknown province code.")})
    return ZoneValues(
        name=name, level=level, lockdown=flags["lockdown"], isolation=flags["isolation"],
        whole_province=flags["whole_province"], wards=wards, circle=circle, polygon=polygon,
        valid_from=valid_from, valid_until=valid_until, advice_vi=advice_vi, advice_en=advice_en,
    ), province


def _circle_within(inner: tuple[float, float, int], outer: tuple[float, float, int]) -> bool:
    return haversine_m(inner[0], inner[1], outer[0], outer[1]) + inner[2] <= outer[2]


def _area_grows(old: ZoneValues, new: ZoneValues) -> bool:
    if new.whole_province and not old.whole_province:
        return True
    if not old.whole_province and not new.ward_codes <= old.ward_codes:
        return True
    if new.circle is not None and (old.circle is None or not _circle_within(new.circle, old.circle)):
        return True
    if new.polygon is not None:
        old_shape, new_shape = old.shape, new.shape
        if old_shape is None or new_shape is None or not old_shape.covers(new_shape):
            return True
    return False


def _later(a: datetime | None, b: datetime | None) -> bool:
    """Whether end `a` is later than end `b` (None is open-ended)."""
    if a is None:
        return b is not None
    return b is not None and a > b


def zone_change_kind(old: ZoneValues, new: ZoneValues, now: datetime) -> str | None:
    """How `new` differs from `old`: raise, lower, end, edit — or None when nothing changed.

    Raising is anything that can reach more people or say more to them: a higher level, a new
    lockdown or isolation, a larger area, a longer validity.
    """
    if new.valid_until is not None and new.valid_until <= now and (old.valid_until is None or old.valid_until > now):
        return Change.END
    widened = (
        new.level > old.level
        or (new.lockdown and not old.lockdown)
        or (new.isolation and not old.isolation)
        or _area_grows(old, new)
        or new.valid_from < old.valid_from
        or _later(new.valid_until, old.valid_until)
    )
    if widened:
        return Change.RAISE
    narrowed = (
        new.level < old.level
        or (old.lockdown and not new.lockdown)
        or (old.isolation and not new.isolation)
        or _area_grows(new, old)
        or new.valid_from > old.valid_from
        or _later(old.valid_until, new.valid_until)
    )
    if narrowed:
        return Change.LOWER
    same = (
        new.name == old.name and new.advice_vi == old.advice_vi and new.advice_en == old.advice_en
        and new.polygon == old.polygon and new.circle == old.circle and new.ward_codes == old.ward_codes
    )
    return None if same else Change.EDIT


def _warns(values: ZoneValues, change: str) -> bool:
    rules = engine.current_rules()
    counts = values.level >= rules.zone_min_level or (rules.zone_lockdown_counts and values.lockdown)
    return change in (Change.CREATE, Change.RAISE) and (counts or values.isolation)


def _zone_version_create(
    *, actor: Any, zone: Zone, number: int, change: str, values: ZoneValues, now: datetime
) -> ZoneVersion:
    version = ZoneVersion.objects.create(
        zone=zone, number=number, change=change, name=values.name, level=values.level,
        lockdown=values.lockdown, isolation=values.isolation, whole_province=values.whole_province,
        circle_lat=values.circle[0] if values.circle else None,
        circle_lon=values.circle[1] if values.circle else None,
        circle_radius_m=values.circle[2] if values.circle else None,
        polygon=values.polygon, valid_from=values.valid_from, valid_until=values.valid_until,
        advice_vi=values.advice_vi, advice_en=values.advice_en, created_by=actor, created_at=now,
    )
    version.wards.set(values.wards)
    return version


def _audit_zone(actor: Any, zone: Zone, version: ZoneVersion, ip: str) -> None:
    audit_record(
        actor=actor, action=f"zone.{version.change}", obj=zone, ip=ip,
        data={
            "version": version.number, "level": version.level, "lockdown": version.lockdown,
            "isolation": version.isolation, "province": zone.province_id,
            "wards": len(version.wards.all()), "whole_province": version.whole_province,
            "circle": version.has_circle, "polygon": version.polygon is not None,
        },
    )


def _queue_run(run: ZoneWarningRun) -> None:
    from khaibao.zones.tasks import zone_warnings_run

    run_id = run.pk
    transaction.on_commit(lambda: zone_warnings_run.enqueue(run_id), robust=True)


@transaction.atomic
def zone_declare(*, actor: Account, ip: str = "", **data: Any) -> ZoneVersion:
    """Declare an epidemic zone (khai báo vùng dịch): version 1, audited, warnings queued.

    `data` holds the API's fields: name, level, lockdown, isolation, whole_province,
    province_code, ward_codes, circle {lat, lon, radius_m}, polygon (GeoJSON), valid_from,
    valid_until, advice_vi, advice_en. Province officials declare in their province only
    (403 elsewhere); national officials anywhere. Bad input raises ServiceError with every
    bad field and writes nothing.
    """
    values, province = _zone_values(actor=actor, data=data, base=None, province=None)
    now = timezone.now()
    zone = Zone.objects.create(province=province, created_by=actor, created_at=now)
    version = _zone_version_create(actor=actor, zone=zone, number=1, change=Change.CREATE, values=values, now=now)
    zone.current = version
    zone.save(update_fields=["current"])
    _touch_state()
    _audit_zone(actor, zone, version, ip)
    if _warns(values, Change.CREATE):
        _queue_run(ZoneWarningRun.objects.create(zone_version=version))
    return version


@transaction.atomic
def zone_update(*, actor: Account, zone: Zone, end: bool = False, ip: str = "", **data: Any) -> ZoneVersion:
    """Change a zone by adding a version: raise, lower, edit, or end it (`end=True` sets
    valid_until to now). Nothing is edited in place or deleted. Raising (higher level, new
    lockdown or isolation, larger area, longer validity) queues warnings for the new version.
    Returns the current version unchanged when nothing differs.

    `zone` was fetched with `selectors.zone_for_manager` (the actor's scope); the province of
    a zone never changes.
    """
    _actor_provinces(actor)
    zone = Zone.objects.select_for_update().select_related("province").get(pk=zone.pk)
    assert zone.current_id is not None  # every zone is created with its first version
    current = ZoneVersion.objects.prefetch_related("wards").get(pk=zone.current_id)
    base = _values_of(current)
    now = timezone.now()
    if "province_code" in data and data["province_code"] not in (None, zone.province_id):
        raise ServiceError(_("Some fields need correcting."), fields={"province_code": _("A zone cannot move to another province.")})
    data.pop("province_code", None)
    if end:
        data["valid_until"] = max(now, base.valid_from)
    values, _province = _zone_values(actor=actor, data=data, base=base, province=zone.province)
    change = zone_change_kind(base, values, now)
    if change is None:
        return current
    version = _zone_version_create(
        actor=actor, zone=zone, number=current.number + 1, change=change, values=values, now=now
    )
    ZoneVersion.objects.filter(pk=current.pk).update(superseded_at=now)
    zone.current = version
    zone.save(update_fields=["current"])
    _touch_state()
    _audit_zone(actor, zone, version, ip)
    if _warns(values, change):
        _queue_run(ZoneWarningRun.objects.create(zone_version=version))
    return version


# --- Places with time windows ----------------------------------------------------------------


@dataclass
class PlaceValues:
    name: str
    ward: Ward | None
    lat: float | None
    lon: float | None
    radius_m: int
    window_start: datetime
    window_end: datetime
    withdrawn: bool
    advice_vi: str
    advice_en: str


def _place_values_of(version: PlaceVersion) -> PlaceValues:
    return PlaceValues(
        name=version.name, ward=version.ward, lat=version.lat, lon=version.lon, radius_m=version.radius_m,
        window_start=version.window_start, window_end=version.window_end, withdrawn=version.withdrawn,
        advice_vi=version.advice_vi, advice_en=version.advice_en,
    )


def _place_values(
    *, actor: Any, data: dict[str, Any], base: PlaceValues | None, province: Province | None
) -> tuple[PlaceValues, Province]:
    fields: dict[str, str] = {}

    def get(key: str, default: Any) -> Any:
        return data[key] if key in data else (getattr(base, key) if base is not None else default)

    name = _text(fields, "name", data["name"], required=True, limit=300) if "name" in data or base is None \
        else base.name
    ward: Ward | None = base.ward if base is not None else None
    if "ward_code" in data:
        ward = None
        raw = data["ward_code"]
        if raw is not None:
            ward = selectors.ward_get(raw) if _is_int(raw) else None
            if ward is None:
                fields["ward_code"] = _("Unknown ward code.")
    lat, lon = get("lat", None), get("lon", None)
    radius = get("radius_m", DEFAULT_PLACE_RADIUS_M)
    if (lat is None) != (lon is None):
        fields["lat" if lat is None else "lon"] = _("Give both the latitude and the longitude.")
    elif lat is not None:
        errors = {}
        for key, value in (("lat", lat), ("lon", lon), ("radius_m", radius)):
            if not _is_number(value):
                errors[key] = _("Give a number.")
        fields.update(errors or check_circle(float(lat), float(lon), float(radius)))
    elif not _is_number(radius) or not 0 < radius <= 50_000:
        fields["radius_m"] = _("The radius must be more than 0 and at most 50 km (50000 m).")
    if ward is None and lat is None and "ward_code" not in fields:
        fields["ward_code"] = _("Give the ward, or the point on the map (latitude and longitude).")
    if province is None:
        province = _zone_province(actor, data.get("province_code"), [ward] if ward else [], fields)
    if province is not None and ward is not None and ward.province_id != province.code:
        if selectors.declarable_province_codes(actor) is not None:
            raise _forbidden(_("You can only declare places in your own province."))
        fields["ward_code"] = _("This ward is not in %(province)s.") % {"province": province.name}
    start: datetime | None = None
    end_: datetime | None = None
    try:
        start = moment(get("window_start", None))
    except ValueError:
        fields["window_start"] = _("Give a date and time.")
    try:
        end_ = moment(get("window_end", None), end_of_day=True)
    except ValueError:
        fields["window_end"] = _("Give a date and time.")
    if start is None and "window_start" not in fields:
        fields["window_start"] = _("Give the start of the time window.")
    if end_ is None and "window_end" not in fields:
        fields["window_end"] = _("Give the end of the time window.")
    if start is not None and end_ is not None and end_ < start:
        fields["window_end"] = _("The end cannot be before the start.")
    withdrawn = get("withdrawn", False)
    if not isinstance(withdrawn, bool):
        fields["withdrawn"] = _("Give true or false.")
    advice_vi = _text(fields, "advice_vi", data["advice_vi"], required=False, limit=ADVICE_MAX) \
        if "advice_vi" in data else (base.advice_vi if base else "")
    advice_en = _text(fields, "advice_en", data["advice_en"], required=False, limit=ADVICE_MAX) \
        if "advice_en" in data else (base.advice_en if base else "")
    if fields or province is None or start is None or end_ is None:
        raise ServiceError(_("Some fields need correcting."), fields=fields or {"province_code": _("Unknown province code.")})
    return PlaceValues(
        name=name, ward=ward, lat=float(lat) if lat is not None else None, lon=float(lon) if lon is not None else None,
        radius_m=round(float(radius)), window_start=start, window_end=end_, withdrawn=withdrawn,
        advice_vi=advice_vi, advice_en=advice_en,
    ), province


def place_change_kind(old: PlaceValues, new: PlaceValues) -> str | None:
    if new.withdrawn and not old.withdrawn:
        return Change.END
    moved = (new.lat, new.lon) != (old.lat, old.lon) and new.lat is not None
    widened = (
        (old.withdrawn and not new.withdrawn)
        or (new.ward is not None and (old.ward is None or new.ward.code != old.ward.code))
        or moved
        or new.radius_m > old.radius_m
        or new.window_start < old.window_start
        or new.window_end > old.window_end
    )
    if widened:
        return Change.RAISE
    if (
        new.radius_m < old.radius_m or new.window_start > old.window_start or new.window_end < old.window_end
        or (old.ward is not None and new.ward is None) or (old.lat is not None and new.lat is None)
    ):
        return Change.LOWER
    if (new.name, new.advice_vi, new.advice_en) == (old.name, old.advice_vi, old.advice_en):
        return None
    return Change.EDIT


def _place_version_create(
    *, actor: Any, place: Place, number: int, change: str, values: PlaceValues, now: datetime
) -> PlaceVersion:
    return PlaceVersion.objects.create(
        place=place, number=number, change=change, name=values.name, ward=values.ward, lat=values.lat,
        lon=values.lon, radius_m=values.radius_m, window_start=values.window_start,
        window_end=values.window_end, withdrawn=values.withdrawn, advice_vi=values.advice_vi,
        advice_en=values.advice_en, created_by=actor, created_at=now,
    )


def _audit_place(actor: Any, place: Place, version: PlaceVersion, ip: str) -> None:
    audit_record(
        actor=actor, action=f"place.{version.change}", obj=place, ip=ip,
        data={
            "version": version.number, "province": place.province_id, "ward": version.ward_id,
            "point": version.lat is not None, "withdrawn": version.withdrawn,
        },
    )


@transaction.atomic
def place_declare(*, actor: Account, ip: str = "", **data: Any) -> PlaceVersion:
    """Publish a place with a time window (mốc dịch tễ): name/address, ward and/or point
    (lat, lon, radius_m), window_start/window_end and advice. Audited; warnings queued for
    the ward's residents and for people who declared travel there during the window."""
    values, province = _place_values(actor=actor, data=data, base=None, province=None)
    now = timezone.now()
    place = Place.objects.create(province=province, created_by=actor, created_at=now)
    version = _place_version_create(actor=actor, place=place, number=1, change=Change.CREATE, values=values, now=now)
    place.current = version
    place.save(update_fields=["current"])
    _touch_state()
    _audit_place(actor, place, version, ip)
    if version.ward_id is not None:
        _queue_run(ZoneWarningRun.objects.create(place_version=version))
    return version


@transaction.atomic
def place_update(*, actor: Account, place: Place, ip: str = "", **data: Any) -> PlaceVersion:
    """Change a place notice by adding a version (`withdrawn=True` takes it off the public
    list without deleting it). Widening it (other ward or point, longer window) warns again."""
    _actor_provinces(actor)
    place = Place.objects.select_for_update().select_related("province").get(pk=place.pk)
    assert place.current_id is not None
    current = PlaceVersion.objects.select_related("ward").get(pk=place.current_id)
    base = _place_values_of(current)
    if "province_code" in data and data["province_code"] not in (None, place.province_id):
        raise ServiceError(_("Some fields need correcting."), fields={"province_code": _("A place cannot move to another province.")})
    data.pop("province_code", None)
    values, _province = _place_values(actor=actor, data=data, base=base, province=place.province)
    change = place_change_kind(base, values)
    if change is None:
        return current
    now = timezone.now()
    version = _place_version_create(
        actor=actor, place=place, number=current.number + 1, change=change, values=values, now=now
    )
    PlaceVersion.objects.filter(pk=current.pk).update(superseded_at=now)
    place.current = version
    place.save(update_fields=["current"])
    _touch_state()
    _audit_place(actor, place, version, ip)
    if change == Change.RAISE and version.ward_id is not None:
        _queue_run(ZoneWarningRun.objects.create(place_version=version))
    return version


# --- The warning job -------------------------------------------------------------------------


def _advice_text(vi: str, en: str) -> Any:
    def pick() -> str:
        return en if (translation.get_language() or "vi").startswith("en") and en else vi

    return lazy(pick, str)()


def _zone_message(version: ZoneVersion, *, traveller: bool) -> tuple[Any, Any]:
    flags: list[Any] = []
    if version.lockdown:
        flags.append(gettext_lazy("under lockdown"))
    if version.isolation:
        flags.append(gettext_lazy("under isolation"))
    title = format_lazy(gettext_lazy("Epidemic zone: {name}"), name=version.name)
    body = format_lazy(
        gettext_lazy("{name} is an epidemic zone, level {level} ({colour}){flags}. {advice}"),
        name=version.name, level=version.level, colour=LEVEL_WORDS[version.level],
        flags=lazy(lambda: "".join(f", {flag}" for flag in flags), str)(),
        advice=_advice_text(version.advice_vi, version.advice_en),
    )
    if traveller:
        body = format_lazy(
            "{} {}", body,
            gettext_lazy("You declared travel there while it was in force: open Khai Báo to see your risk level and what to do."),
        )
    return title, body


def _place_message(version: PlaceVersion) -> tuple[Any, Any]:
    window = f"{timezone.localtime(version.window_start):%H:%M %d/%m/%Y} – {timezone.localtime(version.window_end):%H:%M %d/%m/%Y}"
    title = format_lazy(gettext_lazy("Epidemic place: {name}"), name=version.name)
    body = format_lazy(
        gettext_lazy("Anyone who was at {name} between {window} must call the hotline and declare. {advice}"),
        name=version.name, window=window, advice=_advice_text(version.advice_vi, version.advice_en),
    )
    return title, body


@dataclass
class _Subject:
    run: ZoneWarningRun
    zone_version: ZoneVersion | None
    place_version: PlaceVersion | None

    @property
    def ward_codes(self) -> list[int]:
        if self.zone_version is not None:
            return [w.code for w in self.zone_version.wards.all()]
        assert self.place_version is not None
        return [self.place_version.ward_id] if self.place_version.ward_id is not None else []

    @property
    def province_code(self) -> int | None:
        if self.zone_version is not None and self.zone_version.whole_province:
            return int(self.zone_version.zone.province_id)
        return None

    def window(self) -> tuple[date, date | None]:
        if self.zone_version is not None:
            v = self.zone_version
            return selectors.local_day(v.valid_from), selectors.last_day(v.valid_until) if v.valid_until else None
        assert self.place_version is not None
        p = self.place_version
        return selectors.local_day(p.window_start), selectors.last_day(p.window_end)


def _subject(run: ZoneWarningRun) -> _Subject:
    zone_version: ZoneVersion | None = None
    place_version: PlaceVersion | None = None
    if run.zone_version_id is not None:
        zone_version = ZoneVersion.objects.select_related("zone").prefetch_related("wards").get(pk=run.zone_version_id)
    else:
        assert run.place_version_id is not None  # a check constraint: exactly one subject
        place_version = PlaceVersion.objects.select_related("place").get(pk=run.place_version_id)
    return _Subject(run=run, zone_version=zone_version, place_version=place_version)


def _run_start(subject: _Subject, now: datetime) -> None:
    run = subject.run
    first, last = subject.window()
    since = timezone.localdate(now) - timedelta(days=engine.WINDOW_DAYS)
    ids = selectors.travellers(
        ward_codes=subject.ward_codes, province_code=subject.province_code, first=first, last=last, since=since
    )
    q = selectors.residents_q(ward_codes=subject.ward_codes, province_code=subject.province_code)
    run.traveller_ids = ids
    # Residents who also travelled there are warned (and re-assessed) once, with the residents.
    run.expected = selectors.residents_count(q) + len(ids) - selectors.residents_among(q, ids)
    run.status = RunStatus.RUNNING
    run.phase = Phase.RESIDENTS
    run.cursor = 0
    run.started_at = now


def _message_for(subject: _Subject, *, traveller: bool) -> tuple[Any, Any, str]:
    """Title, body and the dedupe-key prefix shared by everyone warned about this subject."""
    if subject.zone_version is not None:
        title, body = _zone_message(subject.zone_version, traveller=traveller)
        return title, body, f"zone-warning:{subject.zone_version.pk}:"
    assert subject.place_version is not None
    title, body = _place_message(subject.place_version)
    return title, body, f"place-warning:{subject.place_version.pk}:"


def _warn_residents(subject: _Subject, people: QuerySet[Person], *, reason: str, now: datetime) -> int:
    """Warn a set of residents (not re-assessed: living there is not a risk fact) at once, in
    SQL; returns how many were newly warned (people already warned about this version are
    skipped by the unique constraints)."""
    from khaibao.notifications.services import notify_people

    title, body, group = _message_for(subject, traveller=False)
    if subject.zone_version is not None:
        link = f"{reverse('web:zones')}#zone-{subject.zone_version.zone_id}"
    else:
        assert subject.place_version is not None
        link = f"{reverse('web:zones')}#place-{subject.place_version.place_id}"
    # One message per carer about the place where their people live (the text names no one);
    # travellers get their own, per person, with a link to their re-assessed status.
    notify_people(
        people=people, kind=WARNING_KIND, title=title, body=body, link=link,
        dedupe_key=f"{group}residents", sms=True, outside_once_per=group,
    )
    people_sql, params = people.values_list("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # The level is read, not changed: residents keep theirs (level_before = level_after).
        cursor.execute(
            f"""
            INSERT INTO zones_zonewarning
                   (run_id, zone_version_id, place_version_id, person_id, reason, level_before, level_after, created_at)
            SELECT %s, %s, %s, b.id, %s, COALESCE(s.level, ''), COALESCE(s.level, ''), %s
              FROM people_person b LEFT JOIN monitoring_personstatus s ON s.person_id = b.id
             WHERE b.id IN ({people_sql})
            ON CONFLICT DO NOTHING
            """,  # noqa: S608 -- only the ORM's SQL is interpolated; values are parameters
            [subject.run.pk, subject.run.zone_version_id, subject.run.place_version_id, reason, now, *params],
        )
        return max(cursor.rowcount, 0)


def _warn(subject: _Subject, person: Person, *, reason: str, traveller: bool, now: datetime) -> ZoneWarning:
    from khaibao.monitoring.assessment import person_reassess
    from khaibao.notifications.services import notify_person

    # RelatedObjectDoesNotExist is an AttributeError: no status row yet gives None.
    status = getattr(person, "status", None)
    before = status.level if isinstance(status, PersonStatus) else ""
    after = before
    run = subject.run
    if subject.zone_version is not None:
        version = subject.zone_version
        if traveller:
            assessment = person_reassess(person=person, reason=f"zone:{version.zone_id}:v{version.number}", now=now)
            after = assessment.level
            run.reassessed += 1
            if LEVEL_ORDER.get(after, 0) > LEVEL_ORDER.get(before or "low", 0):
                run.raised += 1
        title, body = _zone_message(version, traveller=traveller)
        group = f"zone-warning:{version.pk}:"
        key = f"{group}{person.pk}"
        link = reverse("web:person_status", args=[person.pk]) if traveller else f"{reverse('web:zones')}#zone-{version.zone_id}"
    else:
        place_version = subject.place_version
        assert place_version is not None
        title, body = _place_message(place_version)
        group = f"place-warning:{place_version.pk}:"
        key = f"{group}{person.pk}"
        link = f"{reverse('web:zones')}#place-{place_version.place_id}"
    # One SMS per carer per zone version, however many of their household it concerns.
    notify_person(
        person=person, kind=WARNING_KIND, title=title, body=body, link=link, dedupe_key=key, sms=True,
        outside_once_per=group,
    )
    return ZoneWarning(
        run=run, zone_version=subject.zone_version, place_version=subject.place_version, person=person,
        reason=reason, level_before=before, level_after=after, created_at=now,
    )


@transaction.atomic
def warning_run_step(*, run_id: int, batch_size: int | None = None) -> ZoneWarningRun:
    """Warn the next batch of affected people of a warning run, in one transaction.

    Residents first (keyset over person ids in the zone's wards or province), then the
    travellers found when the run started (declared travel there while it was in force).
    Travellers are re-assessed with the risk engine before they are warned. The run row is
    locked while a batch runs and the cursor moves with the batch, so a run killed half-way
    continues from its last committed batch; a ZoneWarning row per (version, person) means a
    person is never warned twice about the same version, whatever happens to the cursor.
    """
    size = batch_size or warning_batch_size()
    if connection.vendor == "postgresql":
        # A batch lost in a crash is simply done again: the cursor commits with the rows, and
        # every row is idempotent. So the commit need not wait for the disk (measured: the
        # WAL flush was a large part of each batch).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    run = ZoneWarningRun.objects.select_for_update().get(pk=run_id)
    if run.status == RunStatus.DONE:
        return run
    now = timezone.now()
    subject = _subject(run)
    if run.status == RunStatus.PENDING:
        _run_start(subject, now)
    if run.phase == Phase.RESIDENTS:
        q = selectors.residents_q(ward_codes=subject.ward_codes, province_code=subject.province_code)
        last, count = selectors.residents_range(q, after=run.cursor, limit=size)
        if count:
            _warn_residents_batch(subject, q, last=last, count=count, now=now)
            run.cursor = last
        else:
            run.phase, run.cursor = Phase.TRAVELLERS, 0
    if run.phase == Phase.TRAVELLERS:
        ids = [i for i in run.traveller_ids if i > run.cursor][:size]
        if ids:
            _warn_travellers_batch(subject, ids, now)
            run.cursor = ids[-1]
        else:
            run.phase, run.status, run.finished_at = Phase.DONE, RunStatus.DONE, now
    run.updated_at = now
    run.save()
    return run


def _warned_already(subject: _Subject, ids: Iterable[int]) -> set[int]:
    subject_filter: dict[str, Any] = (
        {"zone_version": subject.zone_version} if subject.zone_version is not None
        else {"place_version": subject.place_version}
    )
    return set(ZoneWarning.objects.filter(person_id__in=list(ids), **subject_filter).values_list("person_id", flat=True))


def _warn_one_by_one(subject: _Subject, ids: Iterable[int], *, reason: str, now: datetime) -> int:
    """Re-assess and warn travellers, each with their own facts."""
    people = Person.objects.filter(pk__in=list(ids)).select_related("status").order_by("pk")
    warnings = [_warn(subject, person, reason=reason, traveller=True, now=now) for person in people]
    ZoneWarning.objects.bulk_create(warnings)
    return len(warnings)


def _warn_residents_batch(subject: _Subject, q: Q, *, last: int, count: int, now: datetime) -> None:
    """Warn the `count` residents with ids in (cursor, last]."""
    run = subject.run
    # Residents who also travelled there are re-assessed (one by one — there are few of them);
    # everyone else gets the same message, so they are warned together in SQL
    # (bench/RESULTS.md: one by one the job reached ~190 people/s, with ORM batches ~2,700/s).
    candidates = [i for i in run.traveller_ids if run.cursor < i <= last]
    travelling = selectors.residents_among_ids(q, candidates)
    warned = _warn_one_by_one(subject, travelling - _warned_already(subject, travelling), reason=WarningReason.RESIDENT, now=now)
    residents = Person.objects.filter(q, pk__gt=run.cursor, pk__lte=last).exclude(pk__in=sorted(travelling))
    warned += _warn_residents(subject, residents, reason=WarningReason.RESIDENT, now=now)
    run.processed += count
    run.warned += warned


def _warn_travellers_batch(subject: _Subject, ids: list[int], now: datetime) -> None:
    run = subject.run
    done = _warned_already(subject, ids)
    run.warned += _warn_one_by_one(subject, [i for i in ids if i not in done], reason=WarningReason.TRAVELLER, now=now)
    # A traveller already warned as a resident was counted with the residents.
    run.processed += len(ids) - len(done)
