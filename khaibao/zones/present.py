"""Zones and places as the public sees them: GeoJSON features, in the request's language."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from khaibao.zones.index import Entry
from khaibao.zones.models import LEVEL_COLOURS, LEVEL_WORDS


def _english() -> bool:
    return (get_language() or "vi").startswith("en")


def advice(entry: Entry) -> str:
    """The advice in the active language (Vietnamese when no English text was given)."""
    return entry.advice_en if _english() and entry.advice_en else entry.advice_vi


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment is not None else None


def geometry(entry: Entry) -> dict[str, Any] | None:
    parts: list[dict[str, Any]] = []
    if entry.polygon is not None:
        parts.append(entry.polygon)
    if entry.circle is not None:
        lat, lon, _radius = entry.circle
        parts.append({"type": "Point", "coordinates": [lon, lat]})
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return {"type": "GeometryCollection", "geometries": parts}


def properties(entry: Entry) -> dict[str, Any]:
    props: dict[str, Any] = {
        "kind": entry.kind,
        "id": entry.id,
        "version": entry.version,
        "name": entry.name,
        "province": {"code": entry.province_code, "name": entry.province_name},
        "wards": [{"code": code, "name": name} for code, name in entry.wards],
        "whole_province": entry.whole_province,
        "radius_m": round(entry.circle[2]) if entry.circle else None,
        "advice": advice(entry),
    }
    if entry.kind == "zone":
        assert entry.level is not None
        props.update({
            "level": entry.level,
            "colour": LEVEL_COLOURS[entry.level],
            "colour_word": str(LEVEL_WORDS[entry.level]),
            "lockdown": entry.lockdown,
            "isolation": entry.isolation,
            "valid_from": _iso(entry.active_from),
            "valid_until": _iso(entry.active_until),
        })
    else:
        props.update({
            "level": None,
            "colour": "red",
            "colour_word": _("epidemic place"),
            "window_start": _iso(entry.active_from),
            "window_end": _iso(entry.active_until),
        })
    return props


def feature(entry: Entry, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": f"{entry.kind}-{entry.id}",
        "geometry": geometry(entry),
        "properties": {**properties(entry), **extra},
    }


def feature_collection(entries: list[Entry]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [feature(e) for e in entries]}


def etag(token: str, entries: list[Entry], *variant: object) -> str:
    """A strong ETag: the state token, the language, the filter and which versions are shown
    (time alone changes the last one: a zone starting or ending without any write)."""
    digest = hashlib.sha256()
    digest.update(f"{token}|{get_language()}|{variant}|".encode())
    digest.update(",".join(f"{e.kind}{e.version_id}" for e in entries).encode())
    return f'"{digest.hexdigest()[:32]}"'
