"""The public list of zones and "am I in or near one", served from the in-process index
(zones/index.py): no database read. The map page, the location check, the home page's zone of
each ward and the API ask here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from khaibao.places.models import Ward
from khaibao.risk.engine import current_rules, level_counts
from khaibao.zones.index import Entry, ZoneIndex, zone_index
from khaibao.zones.zones import level_warns


@dataclass(frozen=True)
class Match:
    entry: Entry
    how: str  # "inside", "near" or "ward"
    distance_m: int


def zones_shown(*, province_code: int | None = None, now: datetime | None = None) -> tuple[str, list[Entry]]:
    """(state token, zones in force and place notices still relevant), optionally one province."""
    index = zone_index()
    return index.token, index.shown(now or timezone.now(), province_code=province_code)


def zones_at_point(lat: float, lon: float, *, now: datetime | None = None) -> list[Match]:
    """Zones and places whose circle or polygon contains the point, or lies within NEAR_M of it.

    The caller validated the coordinates (geometry.check_lat_lon). Ward-only zones cannot
    answer a point: we know no ward boundaries — `point_check` says whether any are in force.
    """
    found = zone_index().at_point(lat, lon, now or timezone.now())
    return [Match(entry=e, how="inside" if d == 0 else "near", distance_m=d) for e, d in found]


@dataclass(frozen=True)
class PointAnswer:
    """The answer for a map point: the areas found there, and whether it is complete.

    `ward_zones_unchecked` is true when zones or places defined only by wards (or by a whole
    province) are in force that could contain the point: we know no ward boundaries, so the
    point cannot be tested against them, and "no area found" must not read as an all-clear.
    """

    matches: list[Match]
    ward_zones_unchecked: bool


# Per index state: the entries with no circle or polygon (a point cannot be tested against them).
_untestable: tuple[str, list[Entry]] = ("", [])


def _entries_without_geometry(index: ZoneIndex) -> list[Entry]:
    global _untestable
    token, entries = _untestable
    if token != index.token or not token:
        entries = [e for e in index.entries if e.area.bounds is None]
        _untestable = (index.token, entries)
    return entries


def _leaves_a_point_unchecked(entry: Entry, when: datetime) -> bool:
    # A zone only while in force and while it warns anyone (diff review F8: an ended zone, or a
    # level that warns nobody, leaves the point's answer complete) — the rule that decides whom
    # the zone warns, isolation included, so a zone that warns its residents is never left out
    # of "some zones were not checked"; a place notice while it is on the list, as
    # `zones_at_point` answers places with a point.
    if entry.kind == "place":
        return entry.shown(when)
    in_force = entry.active_from <= when and (entry.active_until is None or when <= entry.active_until)
    return in_force and entry_warns(entry)


def point_check(
    lat: float, lon: float, *, province_code: int | None = None, now: datetime | None = None
) -> PointAnswer:
    """`zones_at_point`, and whether ward-only zones or places are in force that the point may
    lie in: in `province_code` when the caller knows the point's province, else anywhere (a
    point alone names no province: we know no boundaries)."""
    index, when = zone_index(), now or timezone.now()
    found = index.at_point(lat, lon, when)
    unchecked = any(
        _leaves_a_point_unchecked(e, when) and (province_code is None or e.province_code == province_code)
        for e in _entries_without_geometry(index)
    )
    return PointAnswer(
        matches=[Match(entry=e, how="inside" if d == 0 else "near", distance_m=d) for e, d in found],
        ward_zones_unchecked=unchecked,
    )


def zones_at_ward(ward: Ward, *, now: datetime | None = None) -> list[Match]:
    """Zones naming the ward or covering its whole province, and place notices in the ward."""
    return zones_at_wards([ward], now=now)[ward.code]


def zones_at_wards(wards: Iterable[Ward], *, now: datetime | None = None) -> dict[int, list[Match]]:
    """`zones_at_ward` of each of `wards`, by ward code: the index's state is read once for all."""
    index, when = zone_index(), now or timezone.now()
    return {
        ward.code: [Match(entry=e, how="ward", distance_m=0) for e in index.at_ward(ward.code, ward.province_id, when)]
        for ward in wards
    }


def counts_as_epidemic(entry: Entry) -> bool:
    """Whether an entry is an epidemic area for the active rule set (places always are): travel
    there is a risk fact — the engine's rule (`risk.engine.level_counts`), which the API's
    `in_epidemic_area` reports. Isolation alone does not make one (it warns: `entry_warns`)."""
    if entry.kind != "zone" or entry.level is None:
        return True
    return level_counts(level=entry.level, lockdown=entry.lockdown, rules=current_rules())


def entry_warns(entry: Entry) -> bool:
    """Whether an entry warns anyone (places always do): for a zone, `zones.zones.level_warns`,
    the one owner of that rule."""
    if entry.kind != "zone" or entry.level is None:
        return True
    return level_warns(level=entry.level, lockdown=entry.lockdown, isolation=entry.isolation)
