"""Zone geometry with shapely: validation of circles and GeoJSON polygons, and matching points.

Coordinates are WGS84 degrees; GeoJSON order is (longitude, latitude). Distances on the ground
use the haversine formula (a sphere of radius 6,371,008.8 m): for circles of at most 50 km the
error against the WGS84 ellipsoid is well under 0.5 %, far below how precisely zones are drawn.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from shapely import Point, Polygon
from shapely.geometry import shape
from shapely.validation import explain_validity

from khaibao.places.box import in_viet_nam

EARTH_RADIUS_M = 6_371_008.8
MAX_RADIUS_M = 50_000
MAX_GEOJSON_BYTES = 1024 * 1024
MAX_POLYGON_POINTS = 20_000


class GeometryError(ValueError):
    """Bad geometry; `str(exc)` is a translated message for the user."""


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def check_lat_lon(lat: float, lon: float) -> dict[str, str]:
    """Field errors for a point outside the valid latitude/longitude ranges."""
    errors: dict[str, str] = {}
    if not (isinstance(lat, int | float) and math.isfinite(lat) and -90 <= lat <= 90):
        errors["lat"] = _("Latitude must be between -90 and 90.")
    if not (isinstance(lon, int | float) and math.isfinite(lon) and -180 <= lon <= 180):
        errors["lon"] = _("Longitude must be between -180 and 180.")
    return errors


def check_circle(lat: float, lon: float, radius_m: float) -> dict[str, str]:
    """Field errors (keys "lat", "lon", "radius_m") for a circle; empty when it is acceptable."""
    errors = check_lat_lon(lat, lon)
    if not errors and not in_viet_nam(lat, lon):
        errors["lat"] = _("The centre must be in Viet Nam.")
    if not (isinstance(radius_m, int | float) and math.isfinite(radius_m) and 0 < radius_m <= MAX_RADIUS_M):
        errors["radius_m"] = _("The radius must be more than 0 and at most 50 km (50000 m).")
    return errors


def _geojson_dict(raw: Any) -> dict[str, Any]:
    """The GeoJSON Polygon object of `raw` (a dict, a Feature, or their JSON text), at most 1 MB."""
    if isinstance(raw, str):
        if len(raw.encode()) > MAX_GEOJSON_BYTES:
            raise GeometryError(_("The GeoJSON is larger than 1 MB. Simplify the polygon."))
        try:
            raw = json.loads(raw)
        except ValueError:
            raise GeometryError(_("This is not valid JSON.")) from None
    elif len(json.dumps(raw, separators=(",", ":")).encode()) > MAX_GEOJSON_BYTES:
        raise GeometryError(_("The GeoJSON is larger than 1 MB. Simplify the polygon."))
    if isinstance(raw, dict) and raw.get("type") == "Feature":
        raw = raw.get("geometry")
    if not isinstance(raw, dict) or raw.get("type") != "Polygon":
        raise GeometryError(_('Give a GeoJSON Polygon: {"type": "Polygon", "coordinates": [[[lon, lat], ...]]}.'))
    return raw


def _is_position(position: Any) -> bool:
    return (
        isinstance(position, list)
        and len(position) in (2, 3)
        and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in position)
    )


def _rings(polygon: dict[str, Any]) -> list[list[list[float]]]:
    """The polygon's rings, each closed, of at least 4 positions; at most MAX_POLYGON_POINTS in all."""
    coordinates = polygon.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates or not all(isinstance(r, list) for r in coordinates):
        raise GeometryError(_("The polygon has no coordinates."))
    for ring in coordinates:
        if len(ring) < 4:
            raise GeometryError(_("Each ring of the polygon needs at least 4 positions (the first repeated last)."))
        if not all(_is_position(position) for position in ring):
            raise GeometryError(_("Each position must be [longitude, latitude]."))
        if ring[0] != ring[-1]:
            raise GeometryError(_("Each ring must end where it starts."))
    if sum(len(ring) for ring in coordinates) > MAX_POLYGON_POINTS:
        raise GeometryError(_("The polygon has too many points. Simplify it."))
    return coordinates


def _valid_shape(rings: list[list[list[float]]]) -> Polygon:
    try:
        polygon = shape({"type": "Polygon", "coordinates": [[p[:2] for p in ring] for ring in rings]})
    except (ValueError, TypeError, AttributeError):
        raise GeometryError(_("The polygon could not be read.")) from None
    # A flat outline is "invalid" too; its hull has no area while a crossing one's has.
    if not isinstance(polygon, Polygon) or polygon.is_empty or polygon.convex_hull.area == 0:
        raise GeometryError(_("The polygon has no area."))
    if not polygon.is_valid:
        reason = explain_validity(polygon)
        if "Self-intersection" in reason or "Ring Self-intersection" in reason:
            raise GeometryError(_("The polygon crosses itself. Draw its outline without crossing lines."))
        raise GeometryError(_("The polygon is not valid (%(reason)s).") % {"reason": reason})
    if polygon.area == 0:
        raise GeometryError(_("The polygon has no area."))
    return polygon


def polygon_parse(raw: Any) -> Polygon:
    """A validated shapely Polygon from a GeoJSON Polygon (a dict, or its JSON text).

    Refuses anything over 1 MB, other geometry types, invalid or self-intersecting rings and
    polygons reaching outside Viet Nam's bounding box — with a message the official can act on.
    """
    polygon = _valid_shape(_rings(_geojson_dict(raw)))
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    if not (min_lon >= -180 and max_lon <= 180 and min_lat >= -90 and max_lat <= 90):
        raise GeometryError(_("Longitudes must be between -180 and 180 and latitudes between -90 and 90."))
    if not (in_viet_nam(min_lat, min_lon) and in_viet_nam(max_lat, max_lon)):
        raise GeometryError(_("The polygon must lie inside Viet Nam."))
    return polygon


def polygon_geojson(polygon: Polygon) -> dict[str, Any]:
    """The canonical GeoJSON stored for a validated polygon."""
    rings = [polygon.exterior, *polygon.interiors]
    return {"type": "Polygon", "coordinates": [[[x, y] for x, y in ring.coords] for ring in rings]}


@dataclass(frozen=True)
class Area:
    """The point-matchable part of a zone or place: a circle and/or a polygon."""

    circle: tuple[float, float, float] | None = None  # (lat, lon, radius_m)
    polygon: Polygon | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(min_lon, min_lat, max_lon, max_lat) covering the area, for the spatial index."""
        boxes = []
        if self.circle is not None:
            lat, lon, radius = self.circle
            dlat = math.degrees(radius / EARTH_RADIUS_M)
            dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
            boxes.append((lon - dlon, lat - dlat, lon + dlon, lat + dlat))
        if self.polygon is not None:
            boxes.append(self.polygon.bounds)
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)
        )

    def distance_m(self, lat: float, lon: float) -> float | None:
        """0 when the point is inside (edges included), else metres to the nearest edge; None
        when the area has no circle or polygon."""
        best: float | None = None
        if self.circle is not None:
            c_lat, c_lon, radius = self.circle
            best = max(0.0, haversine_m(lat, lon, c_lat, c_lon) - radius)
        if self.polygon is not None:
            point = Point(lon, lat)
            if self.polygon.covers(point):
                return 0.0
            # Metres from the nearest point of the outline: exact on the ground for that pair.
            nearest = self.polygon.exterior.interpolate(self.polygon.exterior.project(point))
            for ring in self.polygon.interiors:
                if ring.distance(point) < nearest.distance(point):
                    nearest = ring.interpolate(ring.project(point))
            d = haversine_m(lat, lon, nearest.y, nearest.x)
            best = d if best is None else min(best, d)
        return best


def point_in_circle(lat: float, lon: float, c_lat: float, c_lon: float, radius_m: float) -> bool:
    """Whether the point is within `radius_m` of the centre on the ground (the edge counts)."""
    return haversine_m(lat, lon, c_lat, c_lon) <= radius_m
