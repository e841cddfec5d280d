"""Every read of people's data is audited, lists included (issue 18, item 2).

Each list of people — the triage queue, a case's contacts, an organisation's members with their
compliance, the report queue, an export file — writes exactly one audit event per page shown,
on the API and on the console pages alike: who looked, with which filters, and the ids shown
(audit/lists.py). The DPO's search by person finds these events beside "who opened X". A page
costs one more INSERT, never a query per person.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.audit.models import AuditEvent


def _new_events(since: int, prefix: str = "list.") -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=since, action__startswith=prefix).order_by("id"))


def _last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _one(since: int, action: str, actor: Any, *, person: int | None = None) -> AuditEvent:
    events = _new_events(since)
    assert [e.action for e in events] == [action], [(e.action, e.data) for e in events]
    event = events[0]
    assert event.actor_id == actor.pk
    # Many people: their ids are in data["people"]; a list about one person (a case's contacts) names it.
    assert event.person_id == person
    return event


def test_it_audits_a_triage_page_with_filters_and_ids(sec):
    official = sec.accounts["province_official"]
    since = _last_id()
    resp = sec.api("province_official").get("/triage?level=high&limit=50")
    assert resp.status_code == 200, resp.content
    shown = [item["person_id"] for item in resp.json()["items"]]
    event = _one(since, "list.triage", official)
    assert event.data["people"] == shown
    assert event.data["count"] == len(shown)
    assert event.data["filters"] == {"level": "high"}


def test_it_audits_the_triage_page_of_the_console(sec):
    official = sec.accounts["ward_official"]
    since = _last_id()
    resp = sec.web("ward_official").get("/staff/cases/")
    assert resp.status_code == 200
    event = _one(since, "list.triage", official)
    assert sec.ids["person"] in event.data["people"]


def test_it_audits_an_empty_page_too(sec):
    since = _last_id()
    resp = sec.api("ward_official_out").get("/triage")
    assert resp.status_code == 200
    assert resp.json()["items"] == []
    assert _one(since, "list.triage", sec.accounts["ward_official_out"]).data["people"] == []


def test_it_audits_a_cases_contacts(sec):
    since = _last_id()
    resp = sec.api("province_official").get(f"/cases/{sec.ids['person']}/contacts")
    assert resp.status_code == 200
    contacts = [c["person_id"] for c in resp.json()]
    assert contacts
    event = _one(since, "list.contacts", sec.accounts["province_official"], person=sec.ids["person"])
    assert event.data["people"] == contacts
    assert event.data["filters"] == {"case_person": sec.ids["person"]}
    # The opening of the case itself stays audited as before.
    assert AuditEvent.objects.filter(id__gt=since, action="person.contacts_view").count() == 1


def test_it_audits_the_contacts_on_the_case_page(sec):
    since = _last_id()
    resp = sec.web("province_official").get(f"/staff/cases/{sec.ids['person']}/")
    assert resp.status_code == 200
    assert _one(since, "list.contacts", sec.accounts["province_official"], person=sec.ids["person"]).data["people"]


def test_it_audits_an_organisations_members_page(sec):
    since = _last_id()
    resp = sec.api("org_admin_a").get(f"/orgs/{sec.ids['unit_a']}/members?campaign={sec.ids['campaign']}")
    assert resp.status_code == 200, resp.content
    event = _one(since, "list.members", sec.accounts["org_admin_a"])
    assert sec.ids["member"] in event.data["members"]
    from khaibao.orgs.models import Member

    linked = Member.objects.filter(pk__in=event.data["members"], person__isnull=False).values_list("person_id", flat=True)
    assert sorted(event.data["people"]) == sorted(set(linked))
    assert event.data["filters"]["unit"] == sec.ids["unit_a"]


def test_it_audits_the_report_queue(sec):
    since = _last_id()
    resp = sec.api("ward_official").get("/reports/queue?status=open")
    assert resp.status_code == 200, resp.content
    event = _one(since, "list.reports", sec.accounts["ward_official"])
    assert event.data["reports"] == [r["id"] for r in resp.json()["items"]]
    assert event.data["filters"] == {"status": "open"}
    since = _last_id()
    assert sec.web("ward_official").get("/staff/reports/").status_code == 200
    assert _one(since, "list.reports", sec.accounts["ward_official"]).data["reports"]


def test_it_audits_the_people_in_an_export(sec):
    since = _last_id()
    resp = sec.api("province_official").post(
        "/exports", {"kind": "triage", "format": "csv", "filters": {}, "reason": "Giao ban hằng tuần"}
    )
    assert resp.status_code == 200, resp.content
    event = _one(since, "list.export", sec.accounts["province_official"])
    assert sec.ids["person"] in event.data["people"]
    assert event.data["kind"] == "triage"


def test_the_dpo_finds_who_saw_a_person_in_a_list(sec):
    person = sec.ids["person"]
    assert sec.api("province_official").get("/triage").status_code == 200
    assert sec.api("ward_official").get(f"/cases/{person}").status_code == 200
    resp = sec.api("dpo").get(f"/audit?person_id={person}")
    assert resp.status_code == 200
    items = resp.json()["items"]
    seen = {(i["action"], i["actor_id"]) for i in items}
    assert ("list.triage", sec.accounts["province_official"].pk) in seen
    assert ("person.case_view", sec.accounts["ward_official"].pk) in seen
    listed = next(i for i in items if i["action"] == "list.triage")
    assert listed["people_listed"] >= 1
    assert listed["category"] == "lists"
    assert listed["action_label"]
    # Someone never listed by that official is not found through the list.
    other = sec.named.mai_self.id
    items = sec.api("dpo").get(f"/audit?person_id={other}&action=list.triage").json()["items"]
    assert all(other in AuditEvent.objects.get(pk=i["id"]).data["people"] for i in items)


def test_a_triage_page_costs_one_insert_whatever_its_size(sec):
    client = sec.api("national")
    assert len(client.get("/triage?limit=50").json()["items"]) > 1  # a page of several people
    counts = {}
    for limit in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            resp = client.get(f"/triage?limit={limit}")
        assert resp.status_code == 200
        audit = [q["sql"] for q in queries if "audit_auditevent" in q["sql"]]
        assert len(audit) == 1, audit
        assert audit[0].lstrip().upper().startswith("INSERT")
        counts[limit] = len(queries)
    assert counts[1] == counts[50]  # no query per person
