"""Writes for epidemic zones (vùng dịch): declare, change (raise, lower, edit, end).

Every change adds a version, moves the `current` pointer, invalidates the check index and
writes its audit event in the same transaction. Declaring or raising a zone queues its
warning run once the transaction commits.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.core.errors import ServiceError
from khaibao.core.hooks import hooks_call
from khaibao.places.models import Province
from khaibao.risk import engine
from khaibao.zones.changes import zone_change_kind, zone_changeable, zone_ended, zone_expired
from khaibao.zones.inputs import ZoneInput, declarer_provinces, province_kept, version_published
from khaibao.zones.models import Change, Zone, ZoneVersion, ZoneWarningRun
from khaibao.zones.tasks import warning_run_queue
from khaibao.zones.values import ZoneValues, zone_values


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
        return zone_values(actor=actor, data=data, base=ZoneValues.blank(timezone.now()), province=None)
    declarer_provinces(actor)
    assert zone.current is not None
    now = timezone.now()
    _ended_refused(zone.current)
    base = ZoneValues.of(zone.current)
    values, province = zone_values(actor=actor, data=data, base=base, province=zone.province)
    if zone_expired(zone.current, now):
        values = _back_in_force(base, values, now)
    return values, province


def _ended_refused(current: ZoneVersion) -> None:
    if zone_ended(current):
        # Its warnings and history belong to the zone that ended; a zone needed again is a new one.
        raise ServiceError(
            _("This zone has ended and can no longer be changed. Declare a new zone if it is needed again."),
            code="zone_ended", status=409,
        )


def _back_in_force(base: ZoneValues, values: ZoneValues, now: datetime) -> ZoneValues:
    """The change of a zone whose validity has passed (changes.zone_expired): taken only when it
    puts the zone back in force — an end in the future, or none (until further notice) — else a
    zone that no longer applies would get a new version and maybe warnings. Back in force from
    now unless the change gives its own start: the time it had lapsed is not covered afterwards."""
    if values.valid_until is not None and values.valid_until <= now:
        assert base.valid_until is not None
        message = _(
            "This zone's validity has passed (it ended at %(until)s) and it no longer applies. To put it back "
            "in force, give a new end in the future (or none: until further notice); otherwise declare a new zone."
        ) % {"until": date_format(timezone.localtime(base.valid_until), "H:i d/m/Y")}
        raise ServiceError(message, code="zone_expired", fields={"valid_until": message}, status=409)
    if values.valid_from == base.valid_from:
        values = dataclasses.replace(values, valid_from=now)
    return values


@transaction.atomic
def zone_declare(*, actor: Account, data: ZoneInput, ip: str = "") -> ZoneVersion:
    """Declare an epidemic zone (khai báo vùng dịch): version 1, audited, warnings queued.

    Province officials declare in their province only (403 elsewhere); national officials
    anywhere. At least one of wards, circle, polygon or the whole province. Bad input raises
    ServiceError with every bad field and writes nothing.
    """
    now = timezone.now()
    values, province = zone_values(actor=actor, data=data, base=ZoneValues.blank(now), province=None)
    zone = Zone.objects.create(province=province, created_by=actor, created_at=now)
    version = _zone_version_create(actor=actor, zone=zone, number=1, change=Change.CREATE, values=values, now=now)
    _zone_publish(actor=actor, zone=zone, version=version, values=values, ip=ip)
    return version


@transaction.atomic
def zone_update(*, actor: Account, zone: Zone, data: ZoneInput | None = None, end: bool = False, ip: str = "") -> ZoneVersion:
    """Change a zone by adding a version: raise, lower, edit, or end it (`end=True` sets
    valid_until to now). Nothing is edited in place or deleted. Raising (higher level, new
    lockdown or isolation, larger area, longer validity) queues warnings for the new version.
    Returns the current version unchanged when nothing differs. An ended zone is refused (409
    `zone_ended`); an expired one (its validity passed) too (409 `zone_expired`, on `valid_until`)
    unless the change puts it back in force with a new end in the future or none.

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
    if end:
        if not zone_changeable(current, now):
            # Already over: "ending" it again would set its end to now — a longer validity, which
            # counts as a raise and would warn everyone again (zone_change_kind).
            return current
        data = dataclasses.replace(data, valid_until=max(now, base.valid_from))
    _ended_refused(current)
    values, _province = zone_values(actor=actor, data=data, base=base, province=zone.province)
    if zone_expired(current, now):
        values = _back_in_force(base, values, now)
    change = zone_change_kind(base, values, now)
    if change is None:
        return current
    version = _zone_version_create(
        actor=actor, zone=zone, number=current.number + 1, change=change, values=values, now=now
    )
    ZoneVersion.objects.filter(pk=current.pk).update(superseded_at=now)
    _zone_publish(actor=actor, zone=zone, version=version, values=values, ip=ip)
    return version
