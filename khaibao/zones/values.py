"""A zone's values (what one version stores) read and checked from a typed input: every bad
field at once, the area inside the zone's province. `zones.py` writes them; `reach.py` and the
console's preview read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from shapely import Polygon
from shapely.geometry import shape

from khaibao.accounts.models import Account
from khaibao.core.params import code_in_range, date_in_range, date_range_message
from khaibao.places.models import Province, Ward
from khaibao.zones.geometry import GeometryError, check_circle, polygon_geojson, polygon_parse
from khaibao.zones.inputs import (
    ADVICE_MAX,
    MAX_WARDS,
    NAME_MAX,
    CircleInput,
    Unset,
    ZoneInput,
    flag,
    given,
    is_int,
    moment,
    needs_correcting,
    numbers,
    outside_province,
    province_for,
    shape_outside_province,
    text,
)
from khaibao.zones.models import ZoneVersion

Circle = tuple[float, float, int]  # (lat, lon, radius in metres)


@dataclass
class ZoneValues:
    """A zone's validated fields: what one version stores."""

    name: str
    level: int
    lockdown: bool
    isolation: bool
    whole_province: bool
    wards: list[Ward]
    circle: Circle | None
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

    @classmethod
    def blank(cls, now: datetime) -> ZoneValues:
        """What a new zone starts from: level 0 (refused unless given), in force from now."""
        return cls(
            name="", level=0, lockdown=False, isolation=False, whole_province=False, wards=[], circle=None,
            polygon=None, valid_from=now, valid_until=None, advice_vi="", advice_en="",
        )

    @classmethod
    def of(cls, version: ZoneVersion) -> ZoneValues:
        circle = None
        if version.has_circle:
            circle = (float(version.circle_lat), float(version.circle_lon), int(version.circle_radius_m))  # type: ignore[arg-type]
        return cls(
            name=version.name, level=version.level, lockdown=version.lockdown, isolation=version.isolation,
            whole_province=version.whole_province, wards=list(version.wards.all()), circle=circle,
            polygon=version.polygon, valid_from=version.valid_from, valid_until=version.valid_until,
            advice_vi=version.advice_vi, advice_en=version.advice_en,
        )


# --- Validation ----------------------------------------------------------------------------


def _wards(fields: dict[str, str], raw: Sequence[int] | None) -> list[Ward]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple) or not all(is_int(c) for c in raw):
        fields["ward_codes"] = _("Give a list of ward codes.")
        return []
    codes = list(dict.fromkeys(raw))
    if len(codes) > MAX_WARDS:
        fields["ward_codes"] = _("Too many wards.")
        return []
    found = {w.code: w for w in Ward.objects.filter(code__in=[c for c in codes if code_in_range(c)])}
    unknown = [c for c in codes if c not in found]
    if unknown:
        fields["ward_codes"] = _("Unknown ward codes: %(codes)s.") % {"codes": ", ".join(map(str, unknown[:10]))}
    return [found[c] for c in codes if c in found]


def _circle(fields: dict[str, str], raw: CircleInput | None) -> Circle | None:
    if raw is None:
        return None
    if not isinstance(raw, CircleInput):
        fields["circle"] = _('Give the circle as {"lat", "lon", "radius_m"}.')
        return None
    errors: dict[str, str] = {}
    lat, lon, radius = raw.lat, raw.lon, raw.radius_m
    if numbers(errors, lat=lat, lon=lon, radius_m=radius) and lat is not None and lon is not None and radius is not None:
        errors = check_circle(float(lat), float(lon), float(radius))
        if not errors:
            return (float(lat), float(lon), max(1, round(float(radius))))
    for key, message in errors.items():
        fields[f"circle.{key}"] = message
    return None


def _polygon(fields: dict[str, str], raw: dict[str, Any] | str | None) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    try:
        return polygon_geojson(polygon_parse(raw))
    except GeometryError as exc:
        fields["polygon"] = str(exc)
        return None


def _as_stored(value: datetime | None, stored: datetime | None) -> datetime | None:
    """`value`, or `stored` when `value` is `stored` cut to the minute: the console's
    datetime-local fields carry minutes only, so saving a form unchanged sends 19:07 back for
    19:07:26 — an earlier start or end that would count as a raise (warnings again) or a lower."""
    if value is not None and stored is not None and value == stored.replace(second=0, microsecond=0):
        return stored
    return value


def moment_read(fields: dict[str, str], name: str, raw: Any, *, message: str, end_of_day: bool = False) -> datetime | None:
    """`raw` read by inputs.moment, or None with `message` in `fields` (the range's message for
    a date whose end of day is past the calendar's last, 9999-12-31)."""
    try:
        return moment(raw, end_of_day=end_of_day)
    except ValueError:
        fields[name] = message
    except OverflowError:
        fields[name] = date_range_message()
    return None


def dates_checked(fields: dict[str, str], **dates: tuple[datetime | None, datetime | None]) -> None:
    """The range of each date (name → (value, stored)) is core.params' — year 1 or 9999 breaks every
    page listing zones and places. Only a date given or changed now: a version published before
    can still be ended or withdrawn."""
    for name, (value, stored) in dates.items():
        if value is not None and value != stored and name not in fields and not date_in_range(value):
            fields[name] = date_range_message()


def _validity(
    fields: dict[str, str], raw_from: Any, raw_until: Any, *, stored: tuple[datetime, datetime | None]
) -> tuple[datetime, datetime | None]:
    """The validity read from `raw_from`/`raw_until`; `stored` is the current version's (for a new
    zone: now, open-ended), the default start and what a value cut to the minute stands for."""
    message = _("Give a date (yyyy-mm-dd) or a date and time.")
    start = _as_stored(moment_read(fields, "valid_from", raw_from, message=message), stored[0]) or stored[0]
    until = _as_stored(moment_read(fields, "valid_until", raw_until, message=message, end_of_day=True), stored[1])
    dates_checked(fields, valid_from=(start, stored[0]), valid_until=(until, stored[1]))
    if until is not None and until < start and "valid_until" not in fields:
        fields["valid_until"] = _("The end cannot be before the start.")
    return start, until


def _area_checked(
    fields: dict[str, str], actor: Account, province: Province | None, values: ZoneValues, base: ZoneValues
) -> None:
    """The area lies in the zone's province and is given at all. A shape is checked only when given
    or moved now (inputs.shape_outside_province), so a version published before can still be ended."""
    if province is not None:
        where = {"province": province.name}
        outside = outside_province(actor, province, values.wards, what="zone")
        if outside:
            fields["ward_codes"] = _("These wards are not in %(province)s: %(codes)s.") % {
                **where, "codes": ", ".join(map(str, outside[:10])),
            }
        centre = values.circle[:2] if values.circle is not None else None
        moved = centre is not None and (base.circle is None or centre != base.circle[:2])
        if moved and shape_outside_province(actor, province, point=centre):
            fields["circle.lat"] = _(
                "The centre of the circle is outside %(province)s. You can only declare zones in your own province."
            ) % where
        if values.polygon != base.polygon and shape_outside_province(actor, province, polygon=values.polygon):
            fields["polygon"] = _(
                "The polygon reaches outside %(province)s. You can only declare zones in your own province."
            ) % where
    has_area = values.whole_province or values.wards or values.circle or values.polygon
    if not has_area and not {"ward_codes", "circle", "polygon"} & set(fields):
        fields["ward_codes"] = _("Give the area: wards, a circle or a polygon (or the whole province).")


def zone_values(
    *, actor: Account, data: ZoneInput, base: ZoneValues, province: Province | None
) -> tuple[ZoneValues, Province]:
    """Validate a whole zone: `base` (blank for a new one) with `data` applied. Field errors all at once."""
    fields: dict[str, str] = {}
    level = given(data.level, base.level)
    if not (isinstance(level, int) and is_int(level) and 1 <= level <= 4):
        fields["level"] = _("The level must be 1 (green), 2 (yellow), 3 (orange) or 4 (red).")
    wards = base.wards if isinstance(data.ward_codes, Unset) else _wards(fields, data.ward_codes)
    valid_from, valid_until = _validity(
        fields, given(data.valid_from, base.valid_from), given(data.valid_until, base.valid_until),
        stored=(base.valid_from, base.valid_until),
    )
    values = ZoneValues(
        name=text(fields, "name", given(data.name, base.name), required=True, limit=NAME_MAX),
        level=level or 0,
        lockdown=flag(fields, "lockdown", given(data.lockdown, base.lockdown)),
        isolation=flag(fields, "isolation", given(data.isolation, base.isolation)),
        whole_province=flag(fields, "whole_province", given(data.whole_province, base.whole_province)),
        wards=wards,
        circle=base.circle if isinstance(data.circle, Unset) else _circle(fields, data.circle),
        polygon=base.polygon if isinstance(data.polygon, Unset) else _polygon(fields, data.polygon),
        valid_from=valid_from,
        valid_until=valid_until,
        advice_vi=text(fields, "advice_vi", given(data.advice_vi, base.advice_vi), required=False, limit=ADVICE_MAX),
        advice_en=text(fields, "advice_en", given(data.advice_en, base.advice_en), required=False, limit=ADVICE_MAX),
    )
    if province is None:
        province = province_for(actor, data.province_code, wards, fields)
    _area_checked(fields, actor, province, values, base)
    if fields or province is None:
        raise needs_correcting(fields)
    return values, province

