"""The people warned about a zone are counted once each, however many of its versions warned them,
and the same way on the zone's page, in the console's list and in the API; an ended zone keeps its
count in the list (browser review: the page said 4 where the list said 2, and "—" once ended)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.models import ZoneWarningRun
from khaibao.zones.tasks import zone_warnings_run
from khaibao.zones.tests.helpers import zone_body

EN = {"Accept-Language": "en"}
RESIDENTS = 5  # Lan, her child and parent, Nam and Ông Tư live in Hoàn Kiếm


def _run_all() -> None:
    for run in ZoneWarningRun.objects.exclude(status="done"):
        zone_warnings_run.call(run.pk)


def _warned_cell(client: Client, zone_id: int) -> str:
    page = client.get("/staff/zones/", headers=EN)
    assert page.status_code == 200
    row = page.content.decode().split(f'/staff/zones/{zone_id}/"', 1)[1].split("</tr>", 1)[0]
    return row.rsplit("<td>", 1)[1].split("</td>", 1)[0].strip()


def test_a_person_warned_about_two_versions_counts_once(world: Any, api: Any, client: Client) -> None:
    zone = api.as_(world.province).post("/zones", zone_body(level=3)).json()
    _run_all()
    raised = api.as_(world.province).patch(f"/zones/{zone['zone_id']}", {"level": 4})
    assert raised.json()["change"] == "raise"
    _run_all()
    runs = ZoneWarningRun.objects.filter(zone_version__zone_id=zone["zone_id"])
    assert [r.warned for r in runs] == [RESIDENTS, RESIDENTS]  # each version warned them

    sign_in_staff(client, world.province)
    detail = client.get(f"/staff/zones/{zone['zone_id']}/", headers=EN).content.decode()
    assert f"{RESIDENTS} people warned" in detail
    assert _warned_cell(client, zone["zone_id"]) == str(RESIDENTS)
    assert api.as_(world.province).get(f"/zones/{zone['zone_id']}").json()["warned"] == RESIDENTS

    assert client.post(f"/staff/zones/{zone['zone_id']}/end/", {"confirmed": "1"}).status_code == 302
    assert _warned_cell(client, zone["zone_id"]) == str(RESIDENTS)


def test_a_zone_that_warned_nobody_shows_a_dash(world: Any, api: Any, client: Client) -> None:
    zone = api.as_(world.province).post("/zones", zone_body(level=1)).json()
    sign_in_staff(client, world.province)
    assert _warned_cell(client, zone["zone_id"]) == "—"
