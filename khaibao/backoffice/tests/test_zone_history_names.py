"""A zone's history names the official who published each version as the console names officials
everywhere else: by their display name, the login name only when they have none."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.tests.helpers import zone_body


def test_a_zone_version_names_its_official_by_display_name(world: Any, api: Any) -> None:
    official = world.province
    official.display_name = "Cán bộ Sở Y tế Hà Nội"
    official.save(update_fields=["display_name"])
    zone_id = api.as_(official).post("/zones", zone_body()).json()["zone_id"]
    client = Client()
    sign_in_staff(client, official)

    page = client.get(f"/staff/zones/{zone_id}/").content.decode()

    assert "(Cán bộ Sở Y tế Hà Nội)" in page
    assert f"({official.username})" not in page


def test_an_official_without_a_display_name_is_named_by_login(world: Any, api: Any) -> None:
    official = world.province
    official.display_name = ""
    official.save(update_fields=["display_name"])
    zone_id = api.as_(official).post("/zones", zone_body()).json()["zone_id"]
    client = Client()
    sign_in_staff(client, official)

    assert f"({official.username})" in client.get(f"/staff/zones/{zone_id}/").content.decode()
