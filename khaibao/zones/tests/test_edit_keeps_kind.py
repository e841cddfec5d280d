"""Saving the console's zone form with only the advice changed is an edit, not a raise: the form's
datetime-local fields carry minutes only, and 19:07 sent back for a stored 19:07:26 is the same
time (browser review: the zone was republished as raised and everyone was texted again). An ended
zone is not changed any more."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.models import ZoneVersion, ZoneWarningRun
from khaibao.zones.tests.helpers import zone_body

EN = {"Accept-Language": "en"}


def _shown(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(rf'value="([^"]*)"[^>]*name="{name}"', page)
    return found.group(1) if found else ""


def _form_as_shown(client: Client, zone_id: int, **changes: str) -> dict[str, Any]:
    """What the browser sends back from the edit form, with `changes` typed in."""
    page = client.get(f"/staff/zones/{zone_id}/edit/").content.decode()
    body: dict[str, Any] = {name: _shown(page, name) for name in ("name", "valid_from", "valid_until")}
    body.update({"level": "3", "wards": ["70"], "step": "publish", **changes})
    return body


def test_changing_only_the_advice_is_an_edit_that_warns_nobody_again(world: Any, api: Any, client: Client) -> None:
    # Declared "from now" with an end given as a day: stored to the microsecond, shown to the minute.
    until = (timezone.localdate() + timedelta(days=7)).isoformat()
    zone = api.as_(world.province).post("/zones", zone_body(valid_until=until)).json()
    first = ZoneVersion.objects.get(zone_id=zone["zone_id"])
    assert first.valid_from.second or first.valid_from.microsecond  # (a test at hh:mm:00.000000 proves nothing)
    sign_in_staff(client, world.province)
    body = _form_as_shown(client, zone["zone_id"], advice_vi="Đeo khẩu trang khi ra ngoài.")
    assert body["valid_from"]
    assert body["valid_until"]

    resp = client.post(f"/staff/zones/{zone['zone_id']}/edit/", body)

    assert resp.status_code == 302, resp.content.decode()[:2000]
    latest = ZoneVersion.objects.filter(zone_id=zone["zone_id"]).order_by("-number").first()
    assert latest is not None
    assert (latest.number, latest.change) == (2, "edit")
    assert (latest.valid_from, latest.valid_until) == (first.valid_from, first.valid_until)
    assert ZoneWarningRun.objects.filter(zone_version__zone_id=zone["zone_id"]).count() == 1  # v1's only


def test_saving_the_form_unchanged_adds_no_version(world: Any, api: Any, client: Client) -> None:
    zone = api.as_(world.province).post("/zones", zone_body()).json()
    sign_in_staff(client, world.province)
    body = _form_as_shown(client, zone["zone_id"], advice_vi=zone_body()["advice"]["vi"], advice_en=zone_body()["advice"]["en"])
    resp = client.post(f"/staff/zones/{zone['zone_id']}/edit/", body)
    assert resp.status_code == 302
    assert ZoneVersion.objects.filter(zone_id=zone["zone_id"]).count() == 1


def test_an_ended_zone_stays_ended(world: Any, api: Any, client: Client) -> None:
    zone = api.as_(world.province).post("/zones", zone_body()).json()
    sign_in_staff(client, world.province)
    assert client.post(f"/staff/zones/{zone['zone_id']}/end/", {"confirmed": "1"}).status_code == 302
    detail = client.get(f"/staff/zones/{zone['zone_id']}/", headers=EN).content.decode()
    assert "Ended" in detail
    assert "In force" not in detail
    assert f"/staff/zones/{zone['zone_id']}/edit/" not in detail  # no "Change" button

    form = client.get(f"/staff/zones/{zone['zone_id']}/edit/", headers=EN).content.decode()
    assert "This zone has ended" in form
    client.post(f"/staff/zones/{zone['zone_id']}/edit/", {"name": "Phường Hoàn Kiếm", "level": "3", "wards": ["70"], "advice_vi": "Khác."})
    resp = api.as_(world.province).patch(f"/zones/{zone['zone_id']}", {"advice": "Khác nữa."})

    assert resp.status_code == 409
    assert list(ZoneVersion.objects.filter(zone_id=zone["zone_id"]).order_by("number").values_list("change", flat=True)) == [
        "create", "end",
    ]
