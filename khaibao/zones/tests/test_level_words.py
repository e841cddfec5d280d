"""A zone's level is written one way on every page ("Cấp độ 4 — đỏ"): the public zone page, the
console's zone page, its history and the console's list of zones."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.tests.helpers import zone_body

VI = {"Accept-Language": "vi"}


def _bare_level(text: str) -> list[str]:
    """A level written as a bare number and colour ("4 — đỏ"), without its "Cấp độ"."""
    return re.findall(r"(?<!Cấp độ )\b\d — (?:xanh|vàng|cam|đỏ)", text)


def test_the_console_list_and_history_write_the_level_as_the_zone_page(world: Any, api: Any, client: Client) -> None:
    zone_id = api.as_(world.province).post("/zones", zone_body(level=4)).json()["zone_id"]
    assert "Cấp độ 4 — đỏ" in client.get("/zones/", headers=VI).content.decode()

    sign_in_staff(client, world.province)
    listed = client.get("/staff/zones/", headers=VI).content.decode()
    assert re.search(r'<td class="level-red"><span class="swatch" aria-hidden="true"></span> Cấp độ 4 — đỏ', listed)
    assert _bare_level(listed) == []

    detail = client.get(f"/staff/zones/{zone_id}/", headers=VI).content.decode()
    history = detail.split('class="history"')[1]
    assert "Cấp độ 4 — đỏ" in history
    assert _bare_level(detail) == []


def test_it_writes_the_level_in_english_too(world: Any, api: Any, client: Client) -> None:
    zone_id = api.as_(world.province).post("/zones", zone_body(level=2)).json()["zone_id"]
    sign_in_staff(client, world.province)
    detail = client.get(f"/staff/zones/{zone_id}/", headers={"Accept-Language": "en"}).content.decode()
    assert detail.split('class="history"')[1].count("Level 2 — yellow") == 1
    assert "Level 2 — yellow" in client.get("/staff/zones/", headers={"Accept-Language": "en"}).content.decode()
