"""Browser walk finding 13: the contacts table names its F-level column "Contact level" (as the
exports do), not "Level", which is the risk level elsewhere on the case page."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.tracing.tests.helpers import make_f1


def test_the_contacts_table_says_contact_level(world: Any, api: Any) -> None:
    make_f1(world, api, world.lan_self)  # Lan's father is the F0, Lan his contact
    client = Client()
    sign_in_staff(client, world.ward_official)
    html = client.get(f"/staff/cases/{world.lan_parent.id}/").content.decode()
    table = html.split('id="contacts"')[1].split("</table>")[0]
    assert '<th scope="col">Mức tiếp xúc</th>' in table
    assert '<th scope="col">Mức nguy cơ</th>' not in table
    english = client.get(f"/staff/cases/{world.lan_parent.id}/", headers={"Accept-Language": "en"}).content.decode()
    assert '<th scope="col">Contact level</th>' in english.split('id="contacts"')[1]
