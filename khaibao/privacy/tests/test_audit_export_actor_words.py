"""The DPO's CSV names the actor as the search page does, in the reader's language (browser
review: a Vietnamese export said "account 1" and "system" where the page says "tài khoản 1")."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client

from khaibao.audit.services import audit_record
from khaibao.news.tests.helpers import sign_in_staff


def _actors(client: Client, world: Any, language: str) -> dict[str, str]:
    """The export's "Actor" cell of each event about Lan, by the actor's stored label."""
    resp = client.post(
        "/staff/audit/export/", {"person": world.lan_self.pk, "format": "csv"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.getvalue().decode("utf-8-sig"))))
    return {row[9]: row[2] for row in rows[1:]}  # by action code


def test_it_names_the_actor_in_the_export_as_the_page_does(world: Any) -> None:
    audit_record(actor=world.lan, action="person.view", person_id=world.lan_self.pk)  # a citizen: "account N"
    audit_record(actor=None, action="person.reassess", person_id=world.lan_self.pk)  # a task: "system"
    dpo = Client()
    sign_in_staff(dpo, world.dpo)

    page = dpo.get("/staff/audit/", {"person": world.lan_self.pk}, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert f"tài khoản {world.lan.pk}" in page
    assert "hệ thống" in page

    vietnamese = _actors(dpo, world, "vi")
    assert vietnamese["person.view"] == f"tài khoản {world.lan.pk}"
    assert vietnamese["person.reassess"] == "hệ thống"
    english = _actors(dpo, world, "en")
    assert english["person.view"] == f"account {world.lan.pk}"
    assert english["person.reassess"] == "system"
