"""The case view, follow-up actions, assignment and reveal through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.cases.models import FollowUpAction, FollowUpCase
from khaibao.cases.tests.helpers import declare, risk_declare, update
from khaibao.monitoring.models import PersonStatus


def queue_ids(api: Any, official: Any) -> list[int]:
    return [i["person_id"] for i in api.as_(official).get("/triage").json()["items"]]


# --- jurisdiction: every path, both directions ------------------------------------------------

PATHS = [
    ("get", "/cases/{id}", None),
    ("post", "/cases/{id}/actions", {"kind": "called_reached"}),
    ("post", "/cases/{id}/assign", {}),
    ("post", "/cases/{id}/reveal", {"reason": "Gọi điện hỏi thăm"}),
]


@pytest.mark.parametrize(("method", "path", "body"), PATHS)
@pytest.mark.parametrize(
    ("official", "person"),
    [
        ("province", "hung_self"),  # Hà Nội official, TP.HCM person
        ("province_hcm", "lan_self"),  # TP.HCM official, Hà Nội person
        ("ward_official", "mai_self"),  # Hoàn Kiếm official, Ba Đình person
    ],
)
def test_it_hides_people_outside_the_jurisdiction(
    world: Any, api: Any, method: str, path: str, body: Any, official: str, person: str
) -> None:
    target = getattr(world, person)
    declare(api, world.hung if person == "hung_self" else world.lan if person == "lan_self" else world.mai, target, "high")
    client = api.as_(getattr(world, official))
    url = path.format(id=target.id)
    resp = client.get(url) if method == "get" else client.post(url, body)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"
    assert not FollowUpCase.objects.exists()
    assert not AuditEvent.objects.filter(person_id=target.id, actor=getattr(world, official)).exists()


@pytest.mark.parametrize(("method", "path", "body"), PATHS)
@pytest.mark.parametrize("who", ["lan", "checkpoint", "org_admin"])
def test_it_refuses_non_officials(world: Any, api: Any, method: str, path: str, body: Any, who: str) -> None:
    client = api.as_(getattr(world, who))
    url = path.format(id=world.lan_self.id)
    resp = client.get(url) if method == "get" else client.post(url, body)
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "officials_only"


def test_it_answers_404_for_a_missing_person(world: Any, api: Any) -> None:
    assert api.as_(world.national).get("/cases/999999").status_code == 404
    assert api.as_(world.national).get(f"/cases/{2**70}").status_code in (404, 400)


# --- the case view ----------------------------------------------------------------------------

def test_it_shows_the_whole_case_and_audits_the_opening(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    update(api, world.lan, world.lan_self, timezone.localdate().isoformat(), symptoms=["cough"])
    resp = api.as_(world.ward_official).get(
        f"/cases/{world.lan_self.id}", headers={"X-Forwarded-For": "1.2.3.4"}, REMOTE_ADDR="10.0.0.7"
    )
    assert resp.status_code == 200
    body = resp.json()
    person = body["person"]
    assert person["full_name"] == "Nguyễn Thị Lan"
    assert person["id_number"] == "•••••••••001"
    assert person["revealed"] is False
    assert "0900000001" not in resp.content.decode()
    assert "001188000001" not in resp.content.decode()
    assert [d["kind"] for d in body["declarations"]] == ["universal"]
    assert body["declarations"][0]["answers"]["exposures"][0]["code"] == "contact_suspected"
    assert [u["symptoms"] for u in body["updates"]] == [["cough"]]
    assert body["assessments"][0]["ruleset_version"] == "2026.2"
    assert body["assessments"][0]["source"] == "daily_update"
    assert all(r["message"] and r["message"] != r["rule"] for a in body["assessments"] for r in a["reasons"])
    assert {h["full_name"]: h["relation"] for h in body["household"]} == {
        "Nguyễn Thị Lan": "self", "Trần Minh An": "child", "Nguyễn Văn Bình": "parent"
    }
    # the cough on top of the contact raised the level: an escalation from a daily update
    assert body["status"]["level"] == "high"
    assert body["status"]["in_queue"] is True
    assert body["status"]["queue_reasons"] == ["level", "escalation"]
    event = AuditEvent.objects.get(action="person.case_view")
    assert (event.actor, event.person_id, event.ip) == (world.ward_official, world.lan_self.id, "10.0.0.7")


def test_it_reveals_the_identity_only_with_a_reason_and_audits_it(world: Any, api: Any) -> None:
    client = api.as_(world.province)
    resp = client.post(f"/cases/{world.lan_self.id}/reveal", {"reason": ""})
    assert resp.status_code == 400
    assert "reason" in resp.json()["error"]["fields"]
    assert not AuditEvent.objects.filter(action="person.reveal").exists()

    resp = client.post(f"/cases/{world.lan_self.id}/reveal", {"reason": "Cần gọi điện theo dõi"})
    assert resp.status_code == 200
    assert resp.json() == {"id_number": "001188000001", "phone": "+84900000001", "contacts": []}
    event = AuditEvent.objects.get(action="person.reveal")
    assert (event.actor, event.person_id, event.reason) == (world.province, world.lan_self.id, "Cần gọi điện theo dõi")


# --- actions ----------------------------------------------------------------------------------

def test_it_records_an_action_with_encrypted_notes_and_audits_it(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    resp = api.as_(world.ward_official).post(
        f"/cases/{world.lan_self.id}/actions", {"kind": "called_reached", "notes": "Ho nhẹ, đã dặn đeo khẩu trang"}
    )
    assert resp.status_code == 201
    assert resp.json()["case_status"] == "open"
    action = FollowUpAction.objects.get()
    assert action.notes == "Ho nhẹ, đã dặn đeo khẩu trang"
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM cases_followupaction")
        assert "khẩu" not in cursor.fetchone()[0]  # stored encrypted
    event = AuditEvent.objects.get(action="followup.action")
    assert event.data == {"case": action.case_id}
    assert "khẩu" not in str(event.data)
    case = api.as_(world.ward_official).get(f"/cases/{world.lan_self.id}").json()["follow_up"][0]
    assert case["actions"][0]["notes"] == "Ho nhẹ, đã dặn đeo khẩu trang"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "dance"}, "kind"),
        ({"kind": "test_result"}, "test_result"),
        ({"kind": "test_result", "test_result": "positive"}, "test_date"),
        ({"kind": "test_result", "test_result": "positive", "test_date": "2999-01-01"}, "test_date"),
        ({"kind": "called_reached", "test_result": "negative"}, "test_result"),
        ({"kind": "called_reached", "notes": "x" * 2001}, "notes"),
        ({"kind": "called_reached", "extra": 1}, "extra"),
    ],
)
def test_it_refuses_bad_actions_and_writes_nothing(world: Any, api: Any, body: dict[str, Any], field: str) -> None:
    resp = api.as_(world.province).post(f"/cases/{world.lan_self.id}/actions", body)
    assert resp.status_code == 400
    assert field in resp.json()["error"]["fields"]
    assert not FollowUpAction.objects.exists()
    assert not FollowUpCase.objects.exists()


def test_it_makes_a_positive_test_a_confirmed_case(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    resp = api.as_(world.ward_official).post(
        f"/cases/{world.lan_self.id}/actions", {"kind": "test_result", "test_result": "positive", "test_date": day}
    )
    assert resp.status_code == 201
    status = PersonStatus.objects.get(person=world.lan_self)
    assert (status.is_f0, status.contact_level, status.level) == (True, "F0", "urgent")
    assert status.monitoring_until is not None
    assert status.monitoring_until >= timezone.localdate() + timedelta(days=12)
    assert queue_ids(api, world.ward_official)[0] == world.lan_self.id
    citizen = api.as_(world.lan).get(f"/people/{world.lan_self.id}/status").json()
    assert citizen["level"] == "urgent"
    assert citizen["pass"]["colour"] == "red"
    assert citizen["follow_up"]["outcome"] == "test_result"
    assert citizen["follow_up"]["test_result"] == "positive"
    assert "F0" in citizen["follow_up"]["advice"]
    # a later, calmer daily update does not lower a confirmed case
    update(api, world.lan, world.lan_self, timezone.localdate().isoformat())
    assert PersonStatus.objects.get(person=world.lan_self).level == "urgent"


def test_it_clears_a_person_out_of_monitoring_and_the_queue(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    official = api.as_(world.ward_official)
    assert world.lan_self.id in queue_ids(api, world.ward_official)
    resp = official.post(f"/cases/{world.lan_self.id}/actions", {"kind": "cleared", "notes": "Hết 14 ngày"})
    assert resp.status_code == 201
    assert resp.json()["case_status"] == "closed"
    assert world.lan_self.id not in queue_ids(api, world.ward_official)
    case = FollowUpCase.objects.get()
    assert (case.status, case.outcome) == ("closed", "cleared")
    assert case.closed_at is not None
    citizen = api.as_(world.lan).get(f"/people/{world.lan_self.id}/status").json()
    assert citizen["level"] == "low"
    assert citizen["monitoring"]["open"] is False
    assert citizen["follow_up"]["outcome"] == "cleared"
    assert citizen["follow_up"]["status"] == "closed"
    assert citizen["follow_up"]["advice"]
    assert "Hết 14 ngày" not in str(citizen)  # officials' notes stay in the console
    assert AuditEvent.objects.filter(action="followup.close", person_id=world.lan_self.id).count() == 1
    # a new action opens a new case: one open case per person at a time
    official.post(f"/cases/{world.lan_self.id}/actions", {"kind": "called_reached"})
    assert FollowUpCase.objects.filter(status="open").count() == 1
    assert FollowUpCase.objects.count() == 2


def test_it_keeps_the_follow_up_codes_out_of_the_audit_trail(world: Any, api: Any) -> None:
    """The trail outlives health retention and erasure: its events name the action and the case,
    never what happened to the person (docs/privacy.md, "The audit trail")."""
    declare(api, world.lan, world.lan_self, "high")
    official = api.as_(world.ward_official)
    today = timezone.localdate().isoformat()
    for body in (
        {"kind": "hospitalised"},
        {"kind": "concentrated_quarantine"},
        {"kind": "test_result", "test_result": "positive", "test_date": today},
        {"kind": "cleared"},
    ):
        assert official.post(f"/cases/{world.lan_self.id}/actions", body).status_code == 201
    case = FollowUpCase.objects.get()
    events = AuditEvent.objects.filter(action__startswith="followup.", person_id=world.lan_self.id)
    assert [e.data for e in events.filter(action="followup.action")] == [{"case": case.pk}] * 4
    closed = events.get(action="followup.close")
    assert (closed.object_type, closed.object_id, closed.data) == ("FollowUpCase", str(case.pk), {})
    dumped = " ".join(str(e.data) for e in events)
    for code in ("hospitalised", "concentrated_quarantine", "test_result", "positive", "cleared", "outcome", "kind"):
        assert code not in dumped


def test_it_acknowledges_a_risk_declaration_when_an_official_acts(world: Any, api: Any) -> None:
    risk_declare(api, world.volunteer, world.ong_tu)
    assert world.ong_tu.id in queue_ids(api, world.ward_official)
    api.as_(world.ward_official).post(f"/cases/{world.ong_tu.id}/actions", {"kind": "called_not_reached"})
    assert world.ong_tu.id in queue_ids(api, world.ward_official)  # nobody was reached yet
    api.as_(world.ward_official).post(f"/cases/{world.ong_tu.id}/actions", {"kind": "called_reached"})
    assert world.ong_tu.id not in queue_ids(api, world.ward_official)


# --- assignment -------------------------------------------------------------------------------

def test_it_assigns_to_me_or_to_a_colleague_of_my_jurisdiction(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    client = api.as_(world.province)
    resp = client.post(f"/cases/{world.lan_self.id}/assign", {})
    assert resp.status_code == 200
    assert resp.json()["assigned_to"]["id"] == world.province.pk
    resp = client.post(f"/cases/{world.lan_self.id}/assign", {"assignee_id": world.ward_official.pk})
    assert resp.status_code == 200
    assert resp.json()["assigned_to"]["id"] == world.ward_official.pk
    assert FollowUpCase.objects.count() == 1
    assert AuditEvent.objects.filter(action="followup.assign").count() == 2
    # not to an official of another province, nor to a citizen
    for other in (world.province_hcm, world.lan):
        resp = client.post(f"/cases/{world.lan_self.id}/assign", {"assignee_id": other.pk})
        assert resp.status_code == 400
        assert "assignee_id" in resp.json()["error"]["fields"]
    # a ward official cannot hand a case up to the province
    resp = api.as_(world.ward_official).post(f"/cases/{world.lan_self.id}/assign", {"assignee_id": world.province.pk})
    assert resp.status_code == 400
    assert FollowUpCase.objects.get().assigned_to == world.ward_official


def test_it_replays_an_action_sent_twice_with_the_same_idempotency_key(world: Any, api: Any) -> None:
    client = api.as_(world.province)
    headers = {"Idempotency-Key": "case-action-1"}
    first = client.post(f"/cases/{world.lan_self.id}/actions", {"kind": "called_reached"}, headers=headers)
    again = client.post(f"/cases/{world.lan_self.id}/actions", {"kind": "called_reached"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert FollowUpAction.objects.count() == 1
