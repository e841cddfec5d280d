"""The wards a person reads about a zone are in Vietnamese reading order ("Dương Nội", "Đại Mỗ",
"Giảng Võ" — not "Đ…" last as the database sorts them): on the public zone card, in the
console's zone history and its "whom it reaches", and among the wards a shape suggests."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.places.models import Ward
from khaibao.zones.tests.helpers import place_body, zone_body

NAMES = ["Phường Dương Nội", "Phường Đại Mỗ", "Phường Giảng Võ"]  # reading order
VI = {"Accept-Language": "vi"}


def _codes() -> list[int]:
    return [Ward.objects.get(name=name, province_id=1).code for name in NAMES]


def _in_order(text: str) -> bool:
    return ", ".join(NAMES) in text


def test_the_zone_card_lists_its_wards_in_reading_order(world: Any, api: Any, client: Client) -> None:
    api.as_(world.province).post("/zones", zone_body(name="Ba phường", ward_codes=list(reversed(_codes()))))
    assert _in_order(client.get("/zones/", headers=VI).content.decode())


def test_the_console_zone_page_lists_its_wards_in_reading_order(world: Any, api: Any, client: Client) -> None:
    zone_id = api.as_(world.province).post("/zones", zone_body(name="Ba phường", ward_codes=_codes())).json()["zone_id"]
    sign_in_staff(client, world.province)
    page = client.get(f"/staff/zones/{zone_id}/", headers=VI).content.decode()
    area = re.search(r'<span class="zone-area">(.*?)</span>', page, re.S)
    assert area
    assert area[1].strip() == ", ".join(NAMES)
    reach = page.split('id="zone-reach"')[1].split("</div>")[0]
    assert _in_order(reach)


def test_the_reach_lists_attached_and_suggested_wards_in_reading_order(world: Any, api: Any) -> None:
    codes = _codes()
    attached = api.as_(world.province).post("/zones", zone_body(ward_codes=list(reversed(codes)))).json()["reach"]
    assert [w["name"] for w in attached["wards"]] == NAMES

    for i, code in enumerate(reversed(codes)):
        resp = api.as_(world.province).post("/zones/places", place_body(name=f"Nơi {i}", ward_code=code, lat=21.0245 + i * 0.001))
        assert resp.status_code == 201, resp.json()
    shape_only = api.as_(world.province).post(
        "/zones", zone_body(name="Vòng tròn", ward_codes=[], circle={"lat": 21.0255, "lon": 105.8530, "radius_m": 1000})
    ).json()["reach"]
    assert [w["name"] for w in shape_only["suggested_wards"]] == NAMES
