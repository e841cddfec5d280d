"""`{% map_tiles_attrs %}`: the tile source of a map element, as the data attributes the map
scripts read (`data-tiles`, `data-tiles-attribution`; core/maps.py owns them). Settings only, no
database: cheap on any page."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from khaibao.core.maps import map_tiles

register = template.Library()


@register.simple_tag
def map_tiles_attrs() -> SafeString:
    tiles = map_tiles()
    return format_html(' data-tiles="{}" data-tiles-attribution="{}"', tiles["url"], tiles["attribution"])
