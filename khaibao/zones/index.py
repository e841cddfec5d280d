"""The in-process index of current zones and places that answers /zones/check and /zones.

Built from the database once per change: every zone or place write stores a new random token
in ZoneState, and each request compares one small row against the token the index was built
from. Between changes a point lookup is an STRtree query plus a few haversine/shapely tests,
whatever the number of zones (issue 5: p95 ≤ 5 ms with 10,000 active zones).
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Prefetch
from django.utils import timezone
from shapely import STRtree, box
from shapely.geometry import shape

from khaibao.places.models import Ward
from khaibao.places.selectors import in_reading_order
from khaibao.risk.engine import WINDOW_DAYS
from khaibao.zones.geometry import Area
from khaibao.zones.models import PlaceVersion, ZoneState, ZoneVersion, level_label

# "Near" in "am I in or near an epidemic area".
NEAR_M = 1000
# A place notice stays on the public list for one risk window after its time window closed.
PLACE_SHOWN_DAYS = WINDOW_DAYS


@dataclass(frozen=True)
class Entry:
    kind: str  # "zone" or "place"
    id: int  # Zone.id or Place.id
    version_id: int
    version: int
    name: str
    level: int | None  # places have no level
    lockdown: bool
    isolation: bool
    whole_province: bool
    province_code: int
    province_name: str
    wards: tuple[tuple[int, str], ...]
    circle: tuple[float, float, float] | None
    polygon: dict[str, Any] | None
    active_from: datetime
    active_until: datetime | None
    shown_until: datetime | None
    advice_vi: str
    advice_en: str
    area: Area = field(compare=False, repr=False)

    def shown(self, now: datetime) -> bool:
        return self.active_from <= now and (self.shown_until is None or now <= self.shown_until)

    @property
    def level_label(self) -> str:
        """A zone's level in words, in the active language ("" for a place)."""
        return level_label(self.level) if self.level is not None else ""


@dataclass
class ZoneIndex:
    token: str
    entries: list[Entry]
    tree: STRtree | None
    tree_entries: list[Entry]
    by_ward: dict[int, list[Entry]]
    by_province: dict[int, list[Entry]]

    def shown(self, now: datetime, *, province_code: int | None = None) -> list[Entry]:
        """Entries on the public list now (zones in force, place notices still relevant)."""
        return [
            e for e in self.entries
            if e.shown(now) and (province_code is None or e.province_code == province_code)
        ]

    def at_point(self, lat: float, lon: float, now: datetime, *, near_m: float = NEAR_M) -> list[tuple[Entry, int]]:
        """(entry, metres outside it) for areas containing the point (0) or within `near_m`."""
        if self.tree is None:
            return []
        pad = near_m / 111_000 * 2  # degrees; generous, the exact test follows
        candidates = self.tree.query(box(lon - pad, lat - pad, lon + pad, lat + pad))
        found = []
        for i in sorted(int(c) for c in candidates):
            entry = self.tree_entries[i]
            if not entry.shown(now):
                continue
            distance = entry.area.distance_m(lat, lon)
            if distance is not None and distance <= near_m:
                found.append((entry, round(distance)))
        found.sort(key=lambda pair: (pair[1], -(pair[0].level or 0), pair[0].id))
        return found

    def at_ward(self, ward_code: int, province_code: int, now: datetime) -> list[Entry]:
        """Entries naming the ward, and zones covering its whole province."""
        seen: dict[int, Entry] = {}
        for entry in [*self.by_ward.get(ward_code, ()), *self.by_province.get(province_code, ())]:
            if entry.shown(now):
                seen[entry.version_id if entry.kind == "zone" else -entry.version_id] = entry
        return sorted(seen.values(), key=lambda e: (e.kind, -(e.level or 0), e.id))


_lock = threading.Lock()
_cached: ZoneIndex | None = None


def index_invalidate() -> None:
    """Every app process rebuilds its index on its next request: called by every zone or place
    write, in its transaction (so the new token commits with the change)."""
    token = uuid.uuid4().hex
    if not ZoneState.objects.filter(pk=1).update(counter=F("counter") + 1, token=token):
        ZoneState.objects.update_or_create(pk=1, defaults={"counter": 1, "token": token})


def state_token() -> str:
    row = ZoneState.objects.filter(pk=1).values_list("token", flat=True).first()
    return row or ""


def zone_index() -> ZoneIndex:
    """The index for the current zones; rebuilt only when ZoneState's token changed."""
    global _cached
    token = state_token()
    current = _cached
    if current is not None and current.token == token:
        return current
    with _lock:
        if _cached is not None and _cached.token == token:
            return _cached
        _cached = _build(token)
        return _cached


def _zone_entries(now: datetime) -> list[Entry]:
    versions = (
        ZoneVersion.objects.filter(current_of__isnull=False)
        .exclude(valid_until__lt=now)
        .select_related("zone__province")
        .prefetch_related(Prefetch("wards", queryset=Ward.objects.only("code", "name")))
    )
    entries = []
    for v in versions:
        circle = None
        if v.circle_lat is not None and v.circle_lon is not None and v.circle_radius_m is not None:
            circle = (v.circle_lat, v.circle_lon, float(v.circle_radius_m))
        polygon = shape(v.polygon) if v.polygon else None
        entries.append(Entry(
            kind="zone", id=v.zone_id, version_id=v.pk, version=v.number, name=v.name, level=v.level,
            lockdown=v.lockdown, isolation=v.isolation, whole_province=v.whole_province,
            province_code=v.zone.province_id, province_name=v.zone.province.name,
            wards=tuple((w.code, w.name) for w in in_reading_order(v.wards.all())),
            circle=circle, polygon=v.polygon, active_from=v.valid_from, active_until=v.valid_until,
            shown_until=v.valid_until, advice_vi=v.advice_vi, advice_en=v.advice_en,
            area=Area(circle=circle, polygon=polygon),  # type: ignore[arg-type]
        ))
    return entries


def _place_entries(now: datetime) -> list[Entry]:
    versions = (
        PlaceVersion.objects.filter(current_of__isnull=False, withdrawn=False)
        .filter(window_end__gte=now - timedelta(days=PLACE_SHOWN_DAYS))
        .select_related("place__province", "ward")
    )
    entries = []
    for v in versions:
        circle = None
        if v.lat is not None and v.lon is not None:
            circle = (v.lat, v.lon, float(v.radius_m))
        entries.append(Entry(
            kind="place", id=v.place_id, version_id=v.pk, version=v.number, name=v.name, level=None,
            lockdown=False, isolation=False, whole_province=False,
            province_code=v.place.province_id, province_name=v.place.province.name,
            wards=((v.ward.code, v.ward.name),) if v.ward is not None else (),
            circle=circle, polygon=None, active_from=v.window_start, active_until=v.window_end,
            shown_until=v.window_end + timedelta(days=PLACE_SHOWN_DAYS),
            advice_vi=v.advice_vi, advice_en=v.advice_en, area=Area(circle=circle),  # type: ignore[arg-type]
        ))
    return entries


def _build(token: str) -> ZoneIndex:
    now = timezone.now()
    entries = sorted(
        [*_zone_entries(now), *_place_entries(now)],
        key=lambda e: (e.kind != "zone", -(e.level or 0), e.province_code, e.name, e.id),
    )
    by_ward: dict[int, list[Entry]] = defaultdict(list)
    by_province: dict[int, list[Entry]] = defaultdict(list)
    tree_entries: list[Entry] = []
    boxes = []
    for entry in entries:
        for code, _name in entry.wards:
            by_ward[code].append(entry)
        if entry.whole_province:
            by_province[entry.province_code].append(entry)
        bounds = entry.area.bounds
        if bounds is not None:
            tree_entries.append(entry)
            boxes.append(box(*bounds))
    return ZoneIndex(
        token=token,
        entries=entries,
        tree=STRtree(boxes) if boxes else None,
        tree_entries=tree_entries,
        by_ward=dict(by_ward),
        by_province=dict(by_province),
    )
