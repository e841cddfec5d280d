"""GET /api/v1/me/export and /household/export.json: "download my data"."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.declarations.models import Declaration
from khaibao.monitoring.models import DailyUpdate, PersonStatus


def _history(world) -> None:
    Declaration.objects.create(
        person=world.lan_child, version=1, declared_as="household_owner", questionnaire_version="1",
        consent_version="1", commitment=True, consent=True, answers={"symptoms": [{"code": "cough"}]},
    )
    DailyUpdate.objects.create(
        person=world.lan_child, day=timezone.localdate() - timedelta(days=1), symptoms=["cough"],
        feeling="unwell", updated_by=world.lan, updated_as="household_owner",
    )
    PersonStatus.objects.create(person=world.lan_child, level="medium", reasons=["medium.symptoms_only"])


def test_it_exports_the_whole_household_unmasked(world, api):
    _history(world)
    resp = api.as_(world.lan).get("/me/export")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/json")
    data = resp.json()
    people = {p["full_name"]: p for p in data["people"]}
    assert set(people) == {"Nguyễn Thị Lan", "Trần Minh An", "Nguyễn Văn Bình"}
    assert people["Nguyễn Thị Lan"]["id_number"] == "001188000001"
    assert people["Nguyễn Thị Lan"]["phone"] == "+84900000001"
    assert people["Nguyễn Thị Lan"]["street"] == "Số 1 phố Demo"
    assert people["Nguyễn Thị Lan"]["relation"] == "self"
    assert data["account"]["phone"] == "+84900000001"
    an = people["Trần Minh An"]
    assert [d["version"] for d in an["declarations"]] == [1]
    assert an["declarations"][0]["answers"] == {"symptoms": [{"code": "cough"}]}
    assert [u["symptoms"] for u in an["daily_updates"]] == [["cough"]]
    assert an["status"]["level"] == "medium"
    assert people["Nguyễn Văn Bình"]["status"] is None
    assert people["Nguyễn Văn Bình"]["declarations"] == []


def test_it_leaves_other_households_and_assisted_people_out(world, api):
    data = api.as_(world.volunteer).get("/me/export").json()
    assert [p["full_name"] for p in data["people"]] == ["Trần Thu Hà"]
    text = json.dumps(data, ensure_ascii=False)
    assert "Nguyễn Văn Tư" not in text
    assert "Nguyễn Thị Lan" not in text


def test_it_audits_each_export_with_ids_only(world, api):
    api.as_(world.lan).get("/me/export")
    event = AuditEvent.objects.get(action="household.export")
    assert event.actor == world.lan
    assert sorted(event.data["person_ids"]) == sorted([world.lan_self.id, world.lan_child.id, world.lan_parent.id])
    assert "001188000001" not in json.dumps(event.data)


def test_it_offers_the_same_export_as_a_download_on_the_household_page(world, api):
    _history(world)
    client = Client()
    client.force_login(world.lan)
    resp = client.get("/household/export.json")
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith('attachment; filename="khaibao-')
    assert resp["Cache-Control"] == "no-store"
    from_page = json.loads(resp.content)
    from_api = api.as_(world.lan).get("/me/export").json()
    for data in (from_page, from_api):
        data.pop("exported_at")
    assert from_page == from_api
    assert AuditEvent.objects.filter(action="household.export", actor=world.lan).count() == 2


def test_it_exports_an_empty_household(world, api):
    from khaibao.accounts.models import Account, Role

    owner = Account.objects.create(role=Role.CITIZEN)
    resp = api.as_(owner).get("/me/export")
    assert resp.status_code == 200
    assert resp.json()["people"] == []
