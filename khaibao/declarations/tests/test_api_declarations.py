from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.audit.models import AuditEvent
from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import ago, declaration, risk_declaration, today
from khaibao.monitoring.models import Assessment, PersonStatus


def _url(person: Any, suffix: str = "declarations") -> str:
    return f"/api/v1/people/{person.id}/{suffix}"


def test_it_declares_and_explains_the_assessment(world, api):
    resp = api.as_(world.lan).post(
        _url(world.lan_child),
        declaration(exposures=[{"code": "contact_confirmed", "date": ago(3)}]),
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["assessment"]["level"] == "high"
    assert {"rule": "high.contact_confirmed", "message": body["assessment"]["reasons"][0]["message"]} in body["assessment"]["reasons"]
    assert all(r["message"] and r["message"] != r["rule"] for r in body["assessment"]["reasons"])
    assert {r["code"] for r in body["assessment"]["recommendations"]} >= {"isolate_home", "call_hotline"}
    assert body["assessment"]["monitoring_days"] == 14
    assert body["declared_as"] == "household_owner"

    stored = Declaration.objects.get(pk=body["id"])
    assert stored.version == 1
    assert stored.declared_by == world.lan
    assert stored.questionnaire_version
    assert stored.consent_version
    status = PersonStatus.objects.get(person=world.lan_child)
    assert status.level == "high"
    assert status.ruleset_version
    assert status.monitoring_until is not None
    assert AuditEvent.objects.filter(action="declaration.submit", person_id=world.lan_child.id).count() == 1


def test_it_records_self_when_declaring_for_oneself(world, api):
    resp = api.as_(world.lan).post(_url(world.lan_self), declaration())
    assert resp.status_code == 201
    assert resp.json()["declared_as"] == "self"
    assert resp.json()["assessment"]["level"] == "low"


def test_it_keeps_history_and_the_latest_is_current(world, api):
    client = api.as_(world.lan)
    first = client.post(_url(world.lan_self), declaration(symptoms=[{"code": "cough", "onset": ago(1)}]))
    second = client.post(_url(world.lan_self), declaration())
    assert first.status_code == second.status_code == 201
    assert first.json()["assessment"]["level"] == "medium"
    history = client.get(_url(world.lan_self)).json()
    assert [d["version"] for d in history["items"]] == [2, 1]
    assert history["items"][0]["id"] == second.json()["id"]
    assert history["items"][1]["assessment"]["level"] == "medium"
    assert Declaration.objects.filter(person=world.lan_self).count() == 2


def test_it_reads_the_history_in_a_bounded_number_of_queries(world, api):
    client = api.as_(world.lan)
    for _ in range(2):
        client.post(_url(world.lan_self), declaration())
    with CaptureQueriesContext(connection) as few:
        assert client.get(_url(world.lan_self)).status_code == 200
    for _ in range(5):
        client.post(_url(world.lan_self), declaration(symptoms=[{"code": "cough", "onset": ago(1)}]))
    with CaptureQueriesContext(connection) as many:
        resp = client.get(_url(world.lan_self))
    assert len(resp.json()["items"]) == 7
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 8


def test_it_pages_the_history(world, api):
    client = api.as_(world.lan)
    for _ in range(3):
        client.post(_url(world.lan_self), declaration())
    page = client.get(_url(world.lan_self) + "?limit=2").json()
    assert [d["version"] for d in page["items"]] == [3, 2]
    rest = client.get(_url(world.lan_self) + f"?limit=2&before={page['next_before']}").json()
    assert [d["version"] for d in rest["items"]] == [1]
    assert rest["next_before"] is None


def test_it_replays_a_retried_declaration_once(world, api):
    client = api.as_(world.lan)
    headers = {"Idempotency-Key": "decl-1"}
    one = client.post(_url(world.lan_self), declaration(), headers=headers)
    two = client.post(_url(world.lan_self), declaration(), headers=headers)
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] == two.json()["id"]
    assert Declaration.objects.filter(person=world.lan_self).count() == 1
    assert Assessment.objects.filter(person=world.lan_self).count() == 1


def test_it_lets_a_volunteer_declare_for_ong_tu(world, api):
    resp = api.as_(world.volunteer).post(_url(world.ong_tu), declaration())
    assert resp.status_code == 201
    assert resp.json()["declared_as"] == "volunteer"
    assert Declaration.objects.get(person=world.ong_tu).declared_by == world.volunteer


@pytest.mark.parametrize("who", ["ward_official", "national", "checkpoint"])
def test_it_refuses_declarations_by_staff(world, api, who):
    resp = api.as_(getattr(world, who)).post(_url(world.lan_parent), declaration())
    assert resp.status_code == 404
    assert not Declaration.objects.exists()


def test_it_lets_an_official_read_the_status_in_their_ward(world, api):
    api.as_(world.lan).post(_url(world.lan_parent), declaration())
    resp = api.as_(world.ward_official).get(_url(world.lan_parent, "status"))
    assert resp.status_code == 200
    assert resp.json()["level"] == "low"
    assert AuditEvent.objects.filter(action="person.status", person_id=world.lan_parent.id).exists()


def _every_endpoint(person: Any) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("post", _url(person), declaration()),
        ("post", _url(person, "risk-declarations"), risk_declaration()),
        ("put", _url(person, f"updates/{today().isoformat()}"), {"symptoms": [], "temperature": None, "feeling": "well"}),
        ("get", _url(person, "status"), None),
        ("get", _url(person), None),
    ]


@pytest.mark.parametrize("index", range(5))
def test_it_hides_another_household_on_every_endpoint(world, api, index):
    method, url, body = _every_endpoint(world.lan_child)[index]
    client = api.as_(world.mai)
    resp = client.get(url) if method == "get" else getattr(client, method)(url, body)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"
    assert not Declaration.objects.exists()
    assert not PersonStatus.objects.filter(person=world.lan_child).exists()


@pytest.mark.parametrize("index", range(5))
def test_it_answers_404_for_a_missing_person(world, api, index):
    method, url, body = _every_endpoint(type("P", (), {"id": 999999})())[index]
    client = api.as_(world.lan)
    resp = client.get(url) if method == "get" else getattr(client, method)(url, body)
    assert resp.status_code == 404


def test_it_needs_a_token(world, api):
    assert api.post(_url(world.lan_self), declaration()).status_code == 401
