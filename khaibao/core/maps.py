"""Map tiles (MAP_TILE_SOURCES): the one owner of the tile URL template every map script is handed
(`map_tiles`, through `{% map_tiles_attrs %}`) and of the origins the Content-Security-Policy lets
images come from (`tile_origin`, settings.py) — so that a map never asks a server the policy
blocks, nor a third party the operator did not choose (DESIGN §2: offline use and privacy).

An entry is a tile URL template (`https://tiles.example.vn/osm/{z}/{x}/{y}.png`) or just an
origin (`https://tile.openstreetmap.org`), which then serves the usual `/{z}/{x}/{y}.png`. The
maps draw from the first entry; the others are only allowed by the policy. No `{s}` sub-domains:
the policy lists origins, one each."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_TILE_PATH = "/{z}/{x}/{y}.png"
# The tiles of OpenStreetMap, and of every server rendering its data, ask to be credited so.
TILE_ATTRIBUTION = "© OpenStreetMap contributors"


def tile_url(source: str) -> str:
    """The Leaflet URL template of one MAP_TILE_SOURCES entry."""
    source = source.strip()
    return source if "{z}" in source else source.rstrip("/") + DEFAULT_TILE_PATH


def tile_origin(source: str) -> str:
    """The origin (scheme://host[:port]) of one MAP_TILE_SOURCES entry, for the CSP's img-src."""
    parts = urlsplit(source.strip())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else source.strip()


def map_tiles() -> dict[str, str]:
    """What a map script draws its background from: {"url", "attribution"}; both "" when no
    tile source is configured (the maps then draw their shapes on an empty background)."""
    sources = [s for s in getattr(settings, "MAP_TILE_SOURCES", []) if s.strip()]
    if not sources:
        return {"url": "", "attribution": ""}
    return {"url": tile_url(sources[0]), "attribution": TILE_ATTRIBUTION}
