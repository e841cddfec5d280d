"""The DPO's audit trail in the console (/staff/audit/): search, keyset pages, audited export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from khaibao.accounts.models import Account
from khaibao.audit.models import AuditEvent
from khaibao.news.tests.helpers import sign_in_staff
from khaibao.privacy import audit_trail as selectors

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def staff(account: Account) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


@pytest.fixture
def dpo(world: Any) -> Client:
    return staff(world.dpo)


@pytest.fixture
def official_read(world: Any) -> Client:
    """A ward official opens Lan's case (her health data) and reveals her ID on a reason."""
    client = staff(world.national)
    assert client.get(f"/staff/cases/{world.lan_self.pk}/").status_code == 200
    resp = client.post(f"/staff/cases/{world.lan_self.pk}/reveal/", {"reveal-reason": "=HYPERLINK(\"x\") call back about fever"})
    assert resp.status_code == 200
    return client


@pytest.mark.parametrize("who", ["national", "province", "ward_official", "org_admin", "checkpoint", "lan"])
def test_it_is_for_the_data_protection_officer_only(world, who):
    client = Client()
    account = getattr(world, who)
    if account.is_staff_role:
        sign_in_staff(client, account)
    else:
        client.force_login(account)
    assert client.get("/staff/audit/").status_code == 403
    assert client.post("/staff/audit/export/", {"format": "csv"}).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_it_sends_strangers_to_sign_in(db):
    resp = Client().get("/staff/audit/")
    assert resp.status_code == 302
    assert "/staff/sign-in/" in resp["Location"]


def test_it_shows_an_officials_read_of_health_data_with_who_whom_and_why(world, dpo, official_read):
    page = dpo.get("/staff/audit/", {"person": world.lan_self.pk}, **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert "demo-national" in html
    assert "person.case_view" in html
    assert "person.reveal" in html
    assert "call back about fever" in html
    assert "Case opened" in html  # the words beside the code
    assert "ID number and phone revealed" in html
    assert f"Person #{world.lan_self.pk}" in html
    # Only Lan's events: nobody else's person id is listed.
    assert f"Person #{world.mai_self.pk}<" not in html


def test_it_filters_by_actor_action_and_dates(world, dpo, official_read):
    by_actor = dpo.get("/staff/audit/", {"actor": "demo-national", "action": "person.reveal"}, **EN).content.decode()
    assert by_actor.count("<tr>") == 2  # the header and one event

    by_id = dpo.get("/staff/audit/", {"actor": str(world.national.pk), "category": "case_access"}, **EN)
    shown = {r.action for r in by_id.context["rows"]}
    assert "person.reveal" in shown
    assert all(a.startswith("person.") for a in shown)  # not the sign-in or the 2FA enrolment

    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    later = dpo.get("/staff/audit/", {"date_from": tomorrow}, **EN).content.decode()
    assert "No events match these filters" in later
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert "person.reveal" in dpo.get("/staff/audit/", {"date_from": today, "date_to": today}, **EN).content.decode()


def test_it_refuses_an_inverted_date_range(dpo):
    resp = dpo.get("/staff/audit/", {"date_from": "2026-05-02", "date_to": "2026-05-01"}, **EN)
    assert resp.status_code == 400
    assert "The end date is before the start date." in resp.content.decode()


def test_it_pages_by_keyset_with_the_filters_kept(world, dpo, official_read, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE", 2)
    ids = list(AuditEvent.objects.filter(actor_id=world.national.pk).order_by("-id").values_list("id", flat=True))
    assert len(ids) >= 3
    first = dpo.get("/staff/audit/", {"actor": "demo-national"}, **EN)
    assert first.context["next_url"] == f"?actor=demo-national&before={ids[1]}"
    second = dpo.get("/staff/audit/" + first.context["next_url"], **EN)
    assert [r.id for r in second.context["rows"]] == ids[2:4]


def test_it_exports_the_filtered_trail_as_csv_neutralised_and_audited(world, dpo, official_read):
    resp = dpo.post("/staff/audit/export/", {"person": world.lan_self.pk, "format": "csv"}, **EN)
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "Event", "Time", "Actor", "Actor account", "What", "Action category", "Object", "Person", "Reason",
        "Action code", "Object type", "Object id", "Reason code", "IP address",
    ]
    reveal = next(r for r in rows if r[9] == "person.reveal")
    assert reveal[4] == "ID number and phone revealed"
    assert reveal[5] == "Opening people's data"
    assert reveal[6] == f"Person #{world.lan_self.pk}"
    assert reveal[8] == reveal[12] == "'=HYPERLINK(\"x\") call back about fever"
    view = next(r for r in rows if r[9] == "person.case_view")
    assert (view[8], view[12]) == ("Following up the case", "case_view")
    assert {r[7] for r in rows[1:]} == {str(world.lan_self.pk)}

    event = AuditEvent.objects.get(action="audit.export")
    assert event.actor_id == world.dpo.pk
    assert event.data["filters"]["person_id"] == world.lan_self.pk


def test_it_exports_xlsx_with_text_cells(world, dpo, official_read):
    resp = dpo.post("/staff/audit/export/", {"action": "person.reveal", "format": "xlsx"}, **EN)
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][4] == "ID number and phone revealed"
    assert values[1][9] == "person.reveal"
    assert values[1][8].startswith("'=HYPERLINK")
    assert sheet.cell(row=2, column=9).data_type == "s"


def test_it_refuses_an_unknown_export_format(dpo):
    resp = dpo.post("/staff/audit/export/", {"format": "pdf"}, **EN)
    assert resp.status_code == 400
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_it_links_the_trail_from_the_dpo_home(dpo):
    assert 'href="/staff/audit/"' in dpo.get("/staff/", **EN).content.decode()


def test_it_answers_the_same_search_on_the_api_for_the_dpo_only(world, api, official_read):
    resp = api.as_(world.dpo).get(f"/audit?person_id={world.lan_self.pk}&action=person.reveal")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert [e["action"] for e in body["items"]] == ["person.reveal"]
    assert body["items"][0]["actor_label"] == "demo-national"
    assert body["next_before"] is None

    assert api.as_(world.national).get("/audit").status_code == 403
    assert api.as_(world.lan).get("/audit").status_code == 403
    bad = api.as_(world.dpo).get("/audit?date_from=2026-05-02&date_to=2026-05-01")
    assert bad.status_code == 400
    assert "date_to" in bad.json()["error"]["fields"]
