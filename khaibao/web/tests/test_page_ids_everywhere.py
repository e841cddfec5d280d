"""Every page of every role has sound element ids (khaibao/core/tests/page_ids.py): a label focuses
its own control, an error or a help text is announced with its own field. The browser walk found
duplicate ids where two forms share a page and help texts printed twice once field.html rendered
them; this walks the pages people use, filled with the demo world."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.cases.tests.helpers import declare
from khaibao.core.tests.page_ids import assert_ids_sound
from khaibao.orgs.models import OrgUnit
from khaibao.passes.tests.helpers import sign_in_staff


def _walk(client: Client, urls: list[str]) -> None:
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert_ids_sound(response.content.decode(), url)


def test_a_citizens_pages_have_sound_ids(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    client = Client()
    client.force_login(world.lan)
    me = world.lan_self.id
    _walk(client, [
        "/", f"/people/{me}/", f"/people/{me}/declare/", f"/people/{me}/update/", f"/people/{me}/risk/",
        "/notifications/preferences/", "/zones/", "/zones/check/", "/reports/new/", "/memberships/", "/checkin/",
        "/venues/new/",
    ])


def test_the_staff_pages_have_sound_ids(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    unit = OrgUnit.objects.order_by("pk").first()
    assert unit is not None
    for account, urls in [
        (world.ward_official, [
            "/staff/", "/staff/cases/", f"/staff/cases/{world.lan_self.id}/", "/staff/zones/", "/staff/exports/",
            "/staff/break-glass/", "/staff/reports/", "/staff/stats/", "/staff/id-reviews/", "/staff/venues/",
        ]),
        (world.province, ["/staff/zones/new/", "/staff/zones/places/new/", "/staff/news/", "/staff/news/new/"]),
        (world.org_admin, [
            "/staff/orgs/", f"/staff/orgs/{unit.pk}/", f"/staff/orgs/{unit.pk}/import/",
            f"/staff/orgs/{unit.pk}/campaigns/new/", "/staff/compliance/", f"/staff/compliance/{unit.pk}/",
        ]),
        (world.dpo, ["/staff/privacy/requests/", "/staff/audit/"]),
        (world.checkpoint, ["/staff/verify/"]),
    ]:
        client = Client()
        sign_in_staff(client, account)
        _walk(client, urls)
