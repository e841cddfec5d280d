from __future__ import annotations

import json

from khaibao.audit.models import AuditEvent
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.notifications.models import Notification
from khaibao.privacy.consent import NOTICES
from khaibao.privacy.tests.helpers import declare_and_update

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_it_has_a_notice_for_every_consent_version_declarations_use():
    assert current_questionnaire().consent_version in NOTICES


def test_it_shows_the_consent_each_person_gave(world, api, settings):
    settings.RETENTION_HEALTH_DAYS = 120
    client = api.as_(world.lan)
    declare_and_update(client, world.lan_child)
    resp = client.get("/api/v1/privacy/consent", **EN)
    assert resp.status_code == 200
    body = resp.json()
    assert "only for epidemic prevention" in body["current"]["purpose"]
    assert "120 days" in body["current"]["retention"]
    people = {p["person_id"]: p for p in body["people"]}
    assert set(people) == {world.lan_self.id, world.lan_child.id, world.lan_parent.id}
    assert body["people"][0]["relation"] == "self"
    accepted = people[world.lan_child.id]["accepted"]
    assert [(a["version"], a["declarations"]) for a in accepted] == [("2026.1", 1)]
    assert "epidemic prevention" in accepted[0]["notice"]["consent"]
    assert people[world.lan_parent.id]["accepted"] == []


def test_it_exports_everything_about_the_household(world, api):
    client = api.as_(world.lan)
    declare_and_update(client, world.lan_child)
    Notification.objects.create(account=world.lan, person=world.lan_child, kind="test", title="Nhắc cập nhật")
    resp = client.get("/api/v1/privacy/export")
    assert resp.status_code == 200
    assert resp["Cache-Control"] == "no-store"
    assert "attachment" in resp["Content-Disposition"]
    data = json.loads(resp.content)
    assert data["format"] == "khaibao-my-data/1"
    people = {p["id"]: p for p in data["people"]}
    child = people[world.lan_child.id]
    assert child["full_name"] == "Trần Minh An"
    assert len(child["declarations"]) == 1
    assert len(child["daily_updates"]) == 1
    assert len(child["assessments"]) == 2
    for key in ("zone_warnings", "contacts", "followup", "passes"):
        assert key in child
    assert people[world.lan_parent.id]["id_number"] == "001055000003"
    assert [n["title"] for n in data["notifications"]] == ["Nhắc cập nhật"]
    assert data["consent_texts"][0]["version"] == "2026.1"
    assert "reports" in data
    event = AuditEvent.objects.filter(action="privacy.export").get()
    assert sorted(event.data["person_ids"]) == sorted(people)
    assert "Trần Minh An" not in json.dumps(event.data, ensure_ascii=False)


def test_it_exports_nothing_of_another_household(world, api):
    data = json.loads(api.as_(world.mai).get("/api/v1/privacy/export").content)
    assert [p["full_name"] for p in data["people"]] == ["Lê Thị Mai"]


def test_it_refuses_the_export_to_officials(world, api):
    assert api.as_(world.ward_official).get("/api/v1/privacy/export").status_code == 403


def test_it_needs_a_sign_in(api):
    assert api.get("/api/v1/privacy/export").status_code == 401
