"""A case's contact list seen is audited about the case (browser review): the `list.contacts`
event names the case as its person, so the DPO's search by that person finds who looked at the
case's contacts, and the trail's "with whom" is the case — the filters still say it too."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.audit.models import AuditEvent
from khaibao.news.tests.helpers import sign_in_staff
from khaibao.tracing.tests.helpers import contact, make_f0


def staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def test_it_finds_a_cases_contact_list_by_the_case_person(world: Any, api: Any, sms: Any) -> None:
    case = world.lan_self
    make_f0(world, api, case)
    resp = api.as_(world.ward_official).post(f"/cases/{case.id}/contacts", contact(full_name="Nguyễn Văn An"))
    assert resp.status_code == 201, resp.content
    AuditEvent.objects.filter(action="list.contacts").delete()

    assert staff(world.ward_official).get(f"/staff/cases/{case.pk}/contacts/").status_code == 200
    assert api.as_(world.ward_official).get(f"/cases/{case.id}/contacts").status_code == 200
    events = list(AuditEvent.objects.filter(action="list.contacts"))
    assert len(events) == 2
    for event in events:
        assert event.person_id == case.pk
        assert event.data["filters"] == {"case_person": case.pk}
        assert event.data["people"] == [resp.json()["person_id"]]

    dpo = staff(world.dpo)
    page = dpo.get("/staff/audit/", {"person": case.pk, "action": "list.contacts"})
    assert {r.id for r in page.context["rows"]} == {e.pk for e in events}
    assert all(r.person_id == case.pk for r in page.context["rows"])
    found = api.as_(world.dpo).get(f"/audit?person_id={case.pk}&action=list.contacts").json()["items"]
    assert {item["id"] for item in found} == {e.pk for e in events}
