"""Writes for places with time windows (mốc dịch tễ): publish, change, withdraw.

Like zones, every change adds a version, moves the `current` pointer, invalidates the check
index and writes its audit event in the same transaction; publishing a place with a ward, or
widening it, queues its warning run once the transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.core.hooks import hooks_call
from khaibao.places.models import Province, Ward
from khaibao.zones import selectors
from khaibao.zones.geometry import MAX_RADIUS_M, check_circle
from khaibao.zones.inputs import (
    ADVICE_MAX,
    PLACE_NAME_MAX,
    PlaceInput,
    Unset,
    declarer_provinces,
    flag,
    given,
    is_int,
    is_number,
    needs_correcting,
    numbers,
    outside_province,
    province_for,
    province_kept,
    shape_outside_province,
    text,
    version_published,
)
from khaibao.zones.models import Change, Place, PlaceVersion, ZoneWarningRun
from khaibao.zones.tasks import warning_run_queue
from khaibao.zones.values import dates_checked, moment_read

DEFAULT_PLACE_RADIUS_M = 100


@dataclass
class PlaceValues:
    """A place's validated fields: what one version stores."""

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

    @classmethod
    def of(cls, version: PlaceVersion) -> PlaceValues:
        return cls(
            name=version.name, ward=version.ward, lat=version.lat, lon=version.lon, radius_m=version.radius_m,
            window_start=version.window_start, window_end=version.window_end, withdrawn=version.withdrawn,
            advice_vi=version.advice_vi, advice_en=version.advice_en,
        )


# --- Validation ----------------------------------------------------------------------------


def _ward(fields: dict[str, str], data: PlaceInput, base: PlaceValues | None) -> Ward | None:
    if isinstance(data.ward_code, Unset):
        return base.ward if base is not None else None
    if data.ward_code is None:
        return None
    ward = selectors.ward_get(data.ward_code) if is_int(data.ward_code) else None
    if ward is None:
        fields["ward_code"] = _("Unknown ward code.")
    return ward


def _point(fields: dict[str, str], data: PlaceInput, base: PlaceValues | None) -> tuple[float | None, float | None, float]:
    """(lat, lon, radius): both coordinates or neither, and a radius that makes sense."""
    lat = given(data.lat, base.lat if base is not None else None)
    lon = given(data.lon, base.lon if base is not None else None)
    radius = given(data.radius_m, base.radius_m if base is not None else DEFAULT_PLACE_RADIUS_M)
    if (lat is None) != (lon is None):
        fields["lat" if lat is None else "lon"] = _("Give both the latitude and the longitude.")
    elif lat is not None and lon is not None:
        errors: dict[str, str] = {}
        if numbers(errors, lat=lat, lon=lon, radius_m=radius) and radius is not None:
            errors = check_circle(float(lat), float(lon), float(radius))
        fields.update(errors)
    elif not is_number(radius) or not 0 < (radius or 0) <= MAX_RADIUS_M:
        fields["radius_m"] = _("The radius must be more than 0 and at most 50 km (50000 m).")
    return lat, lon, float(radius) if radius is not None and is_number(radius) else DEFAULT_PLACE_RADIUS_M


def _point_checked(
    fields: dict[str, str], actor: Account, province: Province, point: tuple[float | None, float | None],
    base: PlaceValues | None,
) -> None:
    """The point lies in the province's box (inputs.PROVINCE_BOXES). Only a point given or moved
    now: a notice published before this check can still be withdrawn or narrowed."""
    lat, lon = point
    if lat is None or lon is None or (base is not None and (lat, lon) == (base.lat, base.lon)):
        return
    if shape_outside_province(actor, province, point=(float(lat), float(lon))):
        fields["lat"] = _(
            "This point is outside %(province)s. You can only declare places in your own province."
        ) % {"province": province.name}


def _window(fields: dict[str, str], data: PlaceInput, base: PlaceValues | None) -> tuple[datetime | None, datetime | None]:
    message = _("Give a date and time.")
    stored_start, stored_end = (base.window_start, base.window_end) if base is not None else (None, None)
    start = moment_read(fields, "window_start", given(data.window_start, stored_start), message=message)
    end = moment_read(fields, "window_end", given(data.window_end, stored_end), message=message, end_of_day=True)
    dates_checked(fields, window_start=(start, stored_start), window_end=(end, stored_end))
    if start is None and "window_start" not in fields:
        fields["window_start"] = _("Give the start of the time window.")
    if end is None and "window_end" not in fields:
        fields["window_end"] = _("Give the end of the time window.")
    if start is not None and end is not None and end < start and "window_end" not in fields:
        fields["window_end"] = _("The end cannot be before the start.")
    return start, end


def _place_values(
    *, actor: Account, data: PlaceInput, base: PlaceValues | None, province: Province | None
) -> tuple[PlaceValues, Province]:
    """Validate a whole place (a new one, or `base` with `data` applied). Field errors all at once."""
    fields: dict[str, str] = {}
    name = text(fields, "name", given(data.name, base.name if base else None), required=True, limit=PLACE_NAME_MAX)
    ward = _ward(fields, data, base)
    lat, lon, radius = _point(fields, data, base)
    if ward is None and lat is None and "ward_code" not in fields:
        fields["ward_code"] = _("Give the ward, or the point on the map (latitude and longitude).")
    if province is None:
        province = province_for(actor, data.province_code, [ward] if ward else [], fields)
    if province is not None and ward is not None and outside_province(actor, province, [ward], what="place"):
        fields["ward_code"] = _("This ward is not in %(province)s.") % {"province": province.name}
    if province is not None and not {"lat", "lon", "radius_m"} & set(fields):
        _point_checked(fields, actor, province, (lat, lon), base)
    start, end = _window(fields, data, base)
    withdrawn = flag(fields, "withdrawn", given(data.withdrawn, base.withdrawn if base else False))
    advice_vi = text(fields, "advice_vi", given(data.advice_vi, base.advice_vi if base else ""), required=False, limit=ADVICE_MAX)
    advice_en = text(fields, "advice_en", given(data.advice_en, base.advice_en if base else ""), required=False, limit=ADVICE_MAX)
    if fields or province is None or start is None or end is None:
        raise needs_correcting(fields)
    return PlaceValues(
        name=name, ward=ward, lat=float(lat) if lat is not None else None, lon=float(lon) if lon is not None else None,
        radius_m=round(radius), window_start=start, window_end=end, withdrawn=withdrawn,
        advice_vi=advice_vi, advice_en=advice_en,
    ), province


# --- How a change differs --------------------------------------------------------------------


def _widens(old: PlaceValues, new: PlaceValues) -> bool:
    """Whether `new` can concern more people than `old`: back from withdrawn, another ward or
    point, a larger radius, a longer window."""
    moved = (new.lat, new.lon) != (old.lat, old.lon) and new.lat is not None
    other_ward = new.ward is not None and (old.ward is None or new.ward.code != old.ward.code)
    return (
        (old.withdrawn and not new.withdrawn)
        or other_ward
        or moved
        or new.radius_m > old.radius_m
        or new.window_start < old.window_start
        or new.window_end > old.window_end
    )


def _narrows(old: PlaceValues, new: PlaceValues) -> bool:
    return (
        new.radius_m < old.radius_m
        or new.window_start > old.window_start
        or new.window_end < old.window_end
        or (old.ward is not None and new.ward is None)
        or (old.lat is not None and new.lat is None)
    )


def place_change_kind(old: PlaceValues, new: PlaceValues) -> str | None:
    """How `new` differs from `old`: end (withdrawn), raise, lower, edit — or None."""
    if new.withdrawn and not old.withdrawn:
        return Change.END
    if _widens(old, new):
        return Change.RAISE
    if _narrows(old, new):
        return Change.LOWER
    if (new.name, new.advice_vi, new.advice_en) == (old.name, old.advice_vi, old.advice_en):
        return None
    return Change.EDIT


# --- Writes ------------------------------------------------------------------------------------


def _place_version_create(
    *, actor: Account, place: Place, number: int, change: str, values: PlaceValues, now: datetime
) -> PlaceVersion:
    return PlaceVersion.objects.create(
        place=place, number=number, change=change, name=values.name, ward=values.ward, lat=values.lat,
        lon=values.lon, radius_m=values.radius_m, window_start=values.window_start,
        window_end=values.window_end, withdrawn=values.withdrawn, advice_vi=values.advice_vi,
        advice_en=values.advice_en, created_by=actor, created_at=now,
    )


def _place_publish(*, actor: Account, place: Place, version: PlaceVersion, warns: bool, ip: str) -> None:
    """Make `version` the current one: pointer, index, audit event, and its warnings when `warns`."""
    place.current = version
    place.save(update_fields=["current"])
    version_published(actor=actor, owner=place, version=version, ip=ip, data={
        "ward": version.ward_id, "point": version.lat is not None, "withdrawn": version.withdrawn,
    })
    # Only a ward finds people: residents by home ward, travellers by the ward they declared.
    if warns and version.ward_id is not None:
        warning_run_queue(ZoneWarningRun.objects.create(place_version=version))
    # A ward or a point finds venues, and the people checked in there (settings.AREA_PUBLISHED_HOOKS).
    if warns and not version.withdrawn:
        hooks_call("AREA_PUBLISHED_HOOKS", actor=actor, place_version=version)


@transaction.atomic
def place_declare(*, actor: Account, data: PlaceInput, ip: str = "") -> PlaceVersion:
    """Publish a place with a time window (mốc dịch tễ): name/address, ward and/or point
    (lat, lon, radius_m), window_start/window_end and advice. Audited; warnings queued for
    the ward's residents and for people who declared travel there during the window."""
    values, province = _place_values(actor=actor, data=data, base=None, province=None)
    now = timezone.now()
    place = Place.objects.create(province=province, created_by=actor, created_at=now)
    version = _place_version_create(actor=actor, place=place, number=1, change=Change.CREATE, values=values, now=now)
    _place_publish(actor=actor, place=place, version=version, warns=True, ip=ip)
    return version


@transaction.atomic
def place_update(*, actor: Account, place: Place, data: PlaceInput, ip: str = "") -> PlaceVersion:
    """Change a place notice by adding a version (`withdrawn=True` takes it off the public
    list without deleting it). Widening it (other ward or point, longer window) warns again."""
    declarer_provinces(actor)
    place = Place.objects.select_for_update().select_related("province").get(pk=place.pk)
    assert place.current_id is not None
    current = PlaceVersion.objects.select_related("ward").get(pk=place.current_id)
    base = PlaceValues.of(current)
    province_kept(place.province_id, data.province_code, _("A place cannot move to another province."))
    values, _province = _place_values(actor=actor, data=data, base=base, province=place.province)
    change = place_change_kind(base, values)
    if change is None:
        return current
    now = timezone.now()
    version = _place_version_create(
        actor=actor, place=place, number=current.number + 1, change=change, values=values, now=now
    )
    PlaceVersion.objects.filter(pk=current.pk).update(superseded_at=now)
    _place_publish(actor=actor, place=place, version=version, warns=change == Change.RAISE, ip=ip)
    return version
