"""Whom a zone reaches, said before it is published (issue 17, major 2).

People are warned through wards: the residents of the zone's wards (or of the whole province) and
those who declared travel there. A circle or a polygon alone warns **nobody** — the platform knows
people's wards, not their coordinates — it only answers a person who checks their own location
(`GET /api/v1/zones/check`, the citizens' zones page). So a shape-only zone is
`location_check_only`, and every page, message and API answer says so instead of promising
warnings that will not be sent.

To help the official attach the right wards in one step, `wards_in_shape` suggests the wards of
the province whose known points lie inside the shape: published places of the province (an
address with its ward and map point) and citizens' reports with a map point (the ward where it
happened). The official confirms them on the map's ward list.

A resident counts as reached only with someone to notify — their own account, a household owner,
a volunteer (people.access `cared_for_ids`, the rule the warning job sends by): the others have
nobody to tell, and the pages say how many, for the official to call or visit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import Point, shape

from khaibao.places.models import Province, Ward
from khaibao.places.selectors import in_reading_order
from khaibao.reports.models import Report
from khaibao.zones import selectors
from khaibao.zones.geometry import point_in_circle
from khaibao.zones.models import PlaceVersion, ZoneVersion
from khaibao.zones.values import ZoneValues
from khaibao.zones.zones import level_warns

Circle = tuple[float, float, float]  # (lat, lon, radius in metres)
# Enough known points to find a shape's wards; a bound on the work of one preview.
POINTS_MAX = 5000
_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class ZoneReach:
    """Who a zone's warnings go to: the residents of `wards` (and, with `province`, of the whole
    province) and the travellers who declared them; `residents` counts the first, `reached` those
    of them with someone to notify (people.access `cared_for_ids`, as the warning job counts
    `warned`): the others (`unreachable`) have no account, household or volunteer to tell."""

    wards: list[Ward]
    province: Province | None
    has_shape: bool
    residents: int
    suggested: list[Ward] = field(default_factory=list)
    # False when the level is below the rule set's lowest warning level (and no lockdown or
    # isolation): the zone is shown, nobody is warned, whatever its area.
    level_warns: bool = True
    reached: int = 0

    @property
    def unreachable(self) -> int:
        """Residents the warning reaches nobody for: the official has to call them or visit."""
        return max(self.residents - self.reached, 0)

    @property
    def warns_nobody(self) -> bool:
        return self.location_check_only or not self.level_warns

    @property
    def location_check_only(self) -> bool:
        """Nobody is warned: a circle or polygon without wards or the whole province."""
        return not self.wards and self.province is None

    @property
    def suggested_new(self) -> list[Ward]:
        """Suggested wards not attached yet."""
        attached = {w.code for w in self.wards}
        return [w for w in self.suggested if w.code not in attached]

    def as_dict(self) -> dict[str, Any]:
        """The API's `reach`: codes with names."""
        return {
            "wards": [{"code": w.code, "name": w.name} for w in self.wards],
            "province": None if self.province is None else {"code": self.province.code, "name": self.province.name},
            "location_check_only": self.location_check_only,
            "level_warns": self.level_warns,
            "residents": self.residents if self.level_warns else 0,
            "reached": self.reached if self.level_warns else 0,
            "unreachable": self.unreachable if self.level_warns else 0,
            "suggested_wards": [{"code": w.code, "name": w.name} for w in self.suggested_new],
        }


def _bounds(circle: Circle | None, polygon: dict[str, Any] | None) -> tuple[float, float, float, float] | None:
    if polygon:
        min_lon, min_lat, max_lon, max_lat = shape(polygon).bounds
        return min_lat, max_lat, min_lon, max_lon
    if circle:
        lat, lon, radius = circle
        d_lat = radius / _METRES_PER_DEGREE
        d_lon = radius / (_METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        return lat - d_lat, lat + d_lat, lon - d_lon, lon + d_lon
    return None


def wards_in_shape(*, province_code: int, circle: Circle | None, polygon: dict[str, Any] | None) -> list[Ward]:
    """The province's wards with a known point inside the circle or polygon (published places,
    reports with a map point), in reading order (they are listed to the official)."""
    box = _bounds(circle, polygon)
    if box is None:
        return []
    min_lat, max_lat, min_lon, max_lon = box
    in_box = {"lat__gte": min_lat, "lat__lte": max_lat, "lon__gte": min_lon, "lon__lte": max_lon}
    points: list[tuple[float | None, float | None, int]] = list(
        PlaceVersion.objects.filter(
            place__province_id=province_code, current_of__isnull=False, withdrawn=False, ward__isnull=False, **in_box
        ).values_list("lat", "lon", "ward_id")[:POINTS_MAX]
    )
    points += list(
        Report.objects.filter(ward__province_id=province_code, **in_box).values_list("lat", "lon", "ward_id")[:POINTS_MAX]
    )
    area = shape(polygon) if polygon else None
    codes: set[int] = set()
    for lat, lon, ward_code in points:
        if lat is None or lon is None:  # excluded by the box; for the type checker
            continue
        if area is not None:
            inside = bool(area.covers(Point(lon, lat)))
        else:
            assert circle is not None
            inside = point_in_circle(lat, lon, circle[0], circle[1], circle[2])
        if inside:
            codes.add(ward_code)
    return in_reading_order(Ward.objects.filter(code__in=codes)) if codes else []


def reach_of(
    *, province: Province, ward_codes: Iterable[int], whole_province: bool,
    circle: Circle | None, polygon: dict[str, Any] | None, warns: bool = True,
) -> ZoneReach:
    """Whom a zone with this area would warn, with the wards its shape suggests."""
    codes = sorted(set(ward_codes))
    wards = in_reading_order(Ward.objects.filter(code__in=codes, province=province)) if codes else []
    province_reached = province if whole_province else None
    residents = reached = 0
    if wards or province_reached is not None:
        q = selectors.residents_q(ward_codes=[w.code for w in wards], province_code=province.code if whole_province else None)
        residents = selectors.residents_count(q)
        reached = selectors.residents_reached(q) if residents else 0
    has_shape = circle is not None or bool(polygon)
    suggested = wards_in_shape(province_code=province.code, circle=circle, polygon=polygon) if has_shape else []
    return ZoneReach(
        wards=wards, province=province_reached, has_shape=has_shape, residents=residents, suggested=suggested,
        level_warns=warns, reached=reached,
    )


def values_reach(values: ZoneValues, province: Province) -> ZoneReach:
    """Whom a zone with these (validated, not yet stored) values would warn."""
    circle = (values.circle[0], values.circle[1], float(values.circle[2])) if values.circle else None
    return reach_of(
        province=province, ward_codes=values.ward_codes, whole_province=values.whole_province,
        circle=circle, polygon=values.polygon,
        warns=level_warns(level=values.level, lockdown=values.lockdown, isolation=values.isolation),
    )


def version_reach(version: ZoneVersion) -> ZoneReach:
    """Whom a published version reaches (its wards' residents, or the province's)."""
    circle = None
    if version.has_circle:
        circle = (float(version.circle_lat), float(version.circle_lon), float(version.circle_radius_m))  # type: ignore[arg-type]
    return reach_of(
        province=version.zone.province, ward_codes=[w.code for w in version.wards.all()],
        whole_province=version.whole_province, circle=circle, polygon=version.polygon,
        warns=level_warns(level=version.level, lockdown=version.lockdown, isolation=version.isolation),
    )


def place_reach(version: PlaceVersion) -> ZoneReach:
    """Whom a place notice reaches: its ward's residents and the travellers who declared it; a
    point without a ward reaches nobody (only people checking their location), and the wards of
    known points within its radius are suggested."""
    ward_codes = [version.ward_id] if version.ward_id is not None else []
    circle = (version.lat, version.lon, float(version.radius_m)) if version.lat is not None and version.lon is not None else None
    return reach_of(
        province=version.place.province, ward_codes=ward_codes, whole_province=False, circle=circle, polygon=None,
        warns=not version.withdrawn,
    )
