"""Writes for epidemic zones (vùng dịch): declare, change (raise, lower, edit, end).

Every change adds a version, moves the `current` pointer, invalidates the check index and
writes its audit event in the same transaction. Declaring or raising a zone queues its
warning run once the transaction commits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely import Polygon
from shapely.geometry import shape

from khaibao.accounts.models import Account
from khaibao.core.errors import ServiceError
from khaibao.core.hooks import hooks_call
from khaibao.core.params import code_in_range, date_in_range, date_range_message
from khaibao.places.models import Province, Ward
from khaibao.risk import engine
from khaibao.zones.geometry import GeometryError, check_circle, haversine_m, polygon_geojson, polygon_parse
from khaibao.zones.inputs import (
    ADVICE_MAX,
    MAX_WARDS,
    NAME_MAX,
    CircleInput,
    Unset,
    ZoneInput,
    declarer_provinces,
    flag,
    given,
    is_int,
    moment,
    needs_correcting,
    numbers,
    outside_province,
    province_for,
    province_kept,
    shape_outside_province,
    text,
    version_published,
)
from khaibao.zones.models import Change, Zone, ZoneVersion, ZoneWarningRun
from khaibao.zones.tasks import warning_run_queue

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


def _zone_values(
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


# --- How a change differs --------------------------------------------------------------------


def _circle_within(inner: Circle, outer: Circle) -> bool:
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


def _reaches_more(old: ZoneValues, new: ZoneValues) -> bool:
    """Whether `new` can reach more people or say more to them than `old`: a higher level, a
    new lockdown or isolation, a larger area, a longer validity."""
    return (
        new.level > old.level
        or (new.lockdown and not old.lockdown)
        or (new.isolation and not old.isolation)
        or _area_grows(old, new)
        or new.valid_from < old.valid_from
        or _later(new.valid_until, old.valid_until)
    )


def _same_text(old: ZoneValues, new: ZoneValues) -> bool:
    return (new.name, new.advice_vi, new.advice_en, new.polygon, new.circle, new.ward_codes) == (
        old.name, old.advice_vi, old.advice_en, old.polygon, old.circle, old.ward_codes
    )


def zone_change_kind(old: ZoneValues, new: ZoneValues, now: datetime) -> str | None:
    """How `new` differs from `old`: end, raise, lower, edit — or None when nothing changed.

    Raising is anything that can reach more people or say more to them; lowering the reverse
    (so one change can only be one of them: raising wins, since it warns).
    """
    if new.valid_until is not None and new.valid_until <= now and (old.valid_until is None or old.valid_until > now):
        return Change.END
    if _reaches_more(old, new):
        return Change.RAISE
    if _reaches_more(new, old):
        return Change.LOWER
    return None if _same_text(old, new) else Change.EDIT


def level_warns(*, level: int, lockdown: bool, isolation: bool) -> bool:
    """Whether a zone at this level and with these measures warns anyone at all (the rule set's
    lowest warning level; lockdown and isolation count too).

    The one owner of the zone-side rule: the warning job and the reach box (`_warns`,
    `reach.py`) and the location check's "zones not checked" (`lookup.entry_warns`) ask here.
    It builds on the risk rule (`risk.engine.level_counts`) and adds isolation, which warns
    the residents without making travel there a risk fact."""
    return engine.level_counts(level=level, lockdown=lockdown, rules=engine.current_rules()) or isolation


def _warns(values: ZoneValues, change: str) -> bool:
    counts = level_warns(level=values.level, lockdown=values.lockdown, isolation=values.isolation)
    return change in (Change.CREATE, Change.RAISE) and counts


# --- Writes ------------------------------------------------------------------------------------


def _zone_version_create(
    *, actor: Account, zone: Zone, number: int, change: str, values: ZoneValues, now: datetime
) -> ZoneVersion:
    circle = values.circle
    version = ZoneVersion.objects.create(
        zone=zone, number=number, change=change, name=values.name, level=values.level,
        lockdown=values.lockdown, isolation=values.isolation, whole_province=values.whole_province,
        circle_lat=circle[0] if circle else None,
        circle_lon=circle[1] if circle else None,
        circle_radius_m=circle[2] if circle else None,
        polygon=values.polygon, valid_from=values.valid_from, valid_until=values.valid_until,
        advice_vi=values.advice_vi, advice_en=values.advice_en, created_by=actor, created_at=now,
    )
    version.wards.set(values.wards)
    return version


def _zone_publish(*, actor: Account, zone: Zone, version: ZoneVersion, values: ZoneValues, ip: str) -> None:
    """Make `version` the current one: pointer, index, audit event, and its warnings when it warns."""
    zone.current = version
    zone.save(update_fields=["current"])
    version_published(actor=actor, owner=zone, version=version, ip=ip, data={
        "level": version.level, "lockdown": version.lockdown, "isolation": version.isolation,
        "wards": len(version.wards.all()), "whole_province": version.whole_province,
        "circle": version.has_circle, "polygon": version.polygon is not None,
    })
    if _warns(values, version.change):
        warning_run_queue(ZoneWarningRun.objects.create(zone_version=version))
        # The people checked in at venues the zone covers (settings.AREA_PUBLISHED_HOOKS).
        hooks_call("AREA_PUBLISHED_HOOKS", actor=actor, zone_version=version)


def zone_preview(*, actor: Account, data: ZoneInput, zone: Zone | None = None) -> tuple[ZoneValues, Province]:
    """The values a declaration (or, with `zone`, a change) would store, checked exactly as
    `zone_declare` / `zone_update` check them, without writing anything: what the console shows
    before publishing (whom it reaches). Raises the same ServiceError."""
    if zone is None:
        return _zone_values(actor=actor, data=data, base=ZoneValues.blank(timezone.now()), province=None)
    declarer_provinces(actor)
    assert zone.current is not None
    return _zone_values(
        actor=actor, data=data, base=ZoneValues.of(zone.current), province=zone.province,
    )


@transaction.atomic
def zone_declare(*, actor: Account, data: ZoneInput, ip: str = "") -> ZoneVersion:
    """Declare an epidemic zone (khai báo vùng dịch): version 1, audited, warnings queued.

    Province officials declare in their province only (403 elsewhere); national officials
    anywhere. At least one of wards, circle, polygon or the whole province. Bad input raises
    ServiceError with every bad field and writes nothing.
    """
    now = timezone.now()
    values, province = _zone_values(actor=actor, data=data, base=ZoneValues.blank(now), province=None)
    zone = Zone.objects.create(province=province, created_by=actor, created_at=now)
    version = _zone_version_create(actor=actor, zone=zone, number=1, change=Change.CREATE, values=values, now=now)
    _zone_publish(actor=actor, zone=zone, version=version, values=values, ip=ip)
    return version


@transaction.atomic
def zone_update(*, actor: Account, zone: Zone, data: ZoneInput | None = None, end: bool = False, ip: str = "") -> ZoneVersion:
    """Change a zone by adding a version: raise, lower, edit, or end it (`end=True` sets
    valid_until to now). Nothing is edited in place or deleted. Raising (higher level, new
    lockdown or isolation, larger area, longer validity) queues warnings for the new version.
    Returns the current version unchanged when nothing differs.

    `zone` was fetched with `selectors.zone_for_manager` (the actor's scope); the province of
    a zone never changes.
    """
    declarer_provinces(actor)
    data = data or ZoneInput()
    zone = Zone.objects.select_for_update().select_related("province").get(pk=zone.pk)
    assert zone.current_id is not None  # every zone is created with its first version
    current = ZoneVersion.objects.prefetch_related("wards").get(pk=zone.current_id)
    base = ZoneValues.of(current)
    now = timezone.now()
    province_kept(zone.province_id, data.province_code, _("A zone cannot move to another province."))
    if current.change == Change.END and not end:
        # Its warnings and history belong to the zone that ended; a zone needed again is a new one.
        raise ServiceError(
            _("This zone has ended and can no longer be changed. Declare a new zone if it is needed again."),
            code="zone_ended", status=409,
        )
    if end:
        if base.valid_until is not None and base.valid_until <= now:
            # Already over: "ending" it again would set its end to now — a longer validity, which
            # counts as a raise and would warn everyone again (zone_change_kind).
            return current
        data = dataclasses.replace(data, valid_until=max(now, base.valid_from))
    values, _province = _zone_values(actor=actor, data=data, base=base, province=zone.province)
    change = zone_change_kind(base, values, now)
    if change is None:
        return current
    version = _zone_version_create(
        actor=actor, zone=zone, number=current.number + 1, change=change, values=values, now=now
    )
    ZoneVersion.objects.filter(pk=current.pk).update(superseded_at=now)
    _zone_publish(actor=actor, zone=zone, version=version, values=values, ip=ip)
    return version
