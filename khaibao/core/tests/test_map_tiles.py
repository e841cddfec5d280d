"""The maps draw from the operator's tile server (MAP_TILE_SOURCES), not a hard-coded one
(review-browser finding 6): the pages hand the tile URL template to the map scripts, and the
Content-Security-Policy allows the same origins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.test import Client

from khaibao.core.maps import tile_origin, tile_url
from khaibao.passes.tests.helpers import sign_in_staff

JS = Path(django_settings.BASE_DIR) / "khaibao" / "static" / "js"
MAP_SCRIPTS = ("report-point.js", "reports-map.js", "zone-draw.js", "zones-map.js")
TILES = 'data-tiles="https://tiles.example.test/{z}/{x}/{y}.png"'


def test_it_hands_the_configured_tiles_to_the_citizens_zone_map(db: Any, settings: Any) -> None:
    settings.MAP_TILE_SOURCES = ["https://tiles.example.test"]
    html = Client().get("/zones/").content.decode()
    assert TILES in html
    assert "openstreetmap" not in html


def test_it_hands_the_configured_tiles_to_the_officials_map_editor(world: Any, settings: Any, client: Client) -> None:
    settings.MAP_TILE_SOURCES = ["https://tiles.example.test/{z}/{x}/{y}.png", "https://other.example.test"]
    sign_in_staff(client, world.province)
    html = client.get("/staff/zones/new/").content.decode()
    assert TILES in html


def test_no_map_script_names_a_tile_server_of_its_own() -> None:
    for name in MAP_SCRIPTS:
        text = (JS / name).read_text()
        assert "tile.openstreetmap.org" not in text, name
        assert 'getAttribute("data-tiles")' in text, name


def test_an_entry_is_a_template_or_an_origin() -> None:
    assert tile_url("https://tile.openstreetmap.org") == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert tile_url("https://t.example.vn/osm/{z}/{x}/{y}.webp") == "https://t.example.vn/osm/{z}/{x}/{y}.webp"
    assert tile_origin("https://t.example.vn:8443/osm/{z}/{x}/{y}.webp") == "https://t.example.vn:8443"
    assert tile_origin("https://tile.openstreetmap.org") == "https://tile.openstreetmap.org"


def test_it_hands_the_configured_tiles_to_the_report_forms_map(db: Any, settings: Any) -> None:
    settings.MAP_TILE_SOURCES = ["https://tiles.example.test"]
    html = Client().get("/reports/new/").content.decode()
    assert 'id="point-map"' in html
    assert TILES in html
