"""Decision C (docs/decisions/0008): an Assessment row only when the assessment changes; the status
row records when it was last confirmed unchanged; the histories list the changes."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.declarations.tests.helpers import ago, assert_one_read_and_one_write, declaration, today
from khaibao.monitoring import statements
from khaibao.monitoring.models import Assessment, PersonStatus

WELL = {"symptoms": [], "temperature": None, "feeling": "well"}
COUGH = {"symptoms": ["cough"], "temperature": None, "feeling": "unwell"}


@pytest.fixture(params=["one_statement", "portable"])
def path(request: Any, monkeypatch: Any) -> str:
    if request.param == "portable":
        monkeypatch.setattr(statements, "writes_in_one_statement", lambda: False)
    elif connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    return str(request.param)


def _noon(seconds: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(today(), time(12, 0))) + timedelta(seconds=seconds)


def _put(client: Any, person: Any, body: dict[str, Any], *, at: datetime, days_ago: int = 0) -> Any:
    with time_machine.travel(at, tick=False):
        return client.put(f"/api/v1/people/{person.id}/updates/{ago(days_ago)}", body)


def test_an_update_that_changes_nothing_writes_no_assessment_and_stamps_the_status(world, api, path):
    client = api.as_(world.lan)
    person = world.lan_child
    with time_machine.travel(_noon(), tick=False):
        client.post(f"/api/v1/people/{person.id}/declarations", declaration())
    first = Assessment.objects.get(person=person)

    resp = _put(client, person, WELL, at=_noon(60))

    assert resp.status_code == 201, resp.content
    assert resp.json()["assessment"]["level"] == "low"  # the answer still carries the assessment
    assert list(Assessment.objects.filter(person=person)) == [first]
    status = PersonStatus.objects.get(person=person)
    assert status.confirmed_at == _noon(60)
    assert status.assessed_at == _noon(60)
    assert status.last_update_at == _noon(60)
    assert status.level == "low"


def test_a_change_writes_one_row_linked_to_the_update_and_clears_the_confirmation(world, api, path):
    client = api.as_(world.lan)
    person = world.lan_child
    with time_machine.travel(_noon(), tick=False):
        client.post(f"/api/v1/people/{person.id}/declarations", declaration())
    _put(client, person, WELL, at=_noon(60))

    resp = _put(client, person, COUGH, at=_noon(120))

    assert resp.json()["assessment"]["level"] == "medium"
    changes = list(Assessment.objects.filter(person=person).order_by("created_at"))
    assert [(a.source, a.level) for a in changes] == [("declaration", "low"), ("daily_update", "medium")]
    assert changes[1].daily_update is not None
    assert changes[1].daily_update.symptoms == ["cough"]
    status = PersonStatus.objects.get(person=person)
    assert status.confirmed_at is None
    assert status.assessed_at == _noon(120)

    # The same cough again: the level, reasons, advice and monitoring period stand.
    _put(client, person, COUGH, at=_noon(180))
    assert Assessment.objects.filter(person=person).count() == 2
    assert PersonStatus.objects.get(person=person).confirmed_at == _noon(180)


@pytest.mark.postgres_only
def test_an_unchanged_update_is_still_one_read_and_one_write_without_the_assessment_insert(world, api):
    client = api.as_(world.lan)
    client.post(f"/api/v1/people/{world.lan_child.id}/declarations", declaration())
    with CaptureQueriesContext(connection) as queries:
        resp = client.put(f"/api/v1/people/{world.lan_child.id}/updates/{ago(0)}", WELL)
    assert resp.status_code == 201
    assert_one_read_and_one_write(
        queries, tables=("monitoring_",), write='WITH written AS (INSERT INTO "monitoring_dailyupdate"', checked=True
    )
    write = next(q["sql"] for q in queries if q["sql"].startswith("WITH written"))
    assert 'INSERT INTO "monitoring_assessment"' not in write
    assert Assessment.objects.filter(person=world.lan_child).count() == 1


def test_the_histories_show_the_assessment_each_declaration_left(world, api, path):
    client = api.as_(world.lan)
    person = world.lan_child
    with time_machine.travel(_noon(), tick=False):
        client.post(f"/api/v1/people/{person.id}/declarations", declaration(symptoms=[{"code": "cough", "onset": ago(1)}]))
    with time_machine.travel(_noon(60), tick=False):
        again = client.post(
            f"/api/v1/people/{person.id}/declarations", declaration(symptoms=[{"code": "cough", "onset": ago(1)}])
        )
    assert again.json()["assessment"]["level"] == "medium"
    assert Assessment.objects.filter(person=person).count() == 1

    items = client.get(f"/api/v1/people/{person.id}/declarations").json()["items"]
    assert [(d["version"], d["assessment"]["level"]) for d in items] == [(2, "medium"), (1, "medium")]

    browser = Client()
    browser.force_login(world.lan)
    page = browser.get(f"/people/{person.id}/").content.decode()
    history = page[page.index('id="history-title"'):]
    assert history.count("level-yellow") == 2, history


def test_officials_see_the_changes_and_the_last_confirmation(world, api, path):
    client = api.as_(world.lan)
    person = world.lan_self
    with time_machine.travel(_noon(), tick=False):
        client.post(f"/api/v1/people/{person.id}/declarations", declaration())
    _put(client, person, WELL, at=_noon(60))
    _put(client, person, COUGH, at=_noon(120))
    _put(client, person, COUGH, at=_noon(180))

    case = api.as_(world.ward_official).get(f"/cases/{person.id}")

    assert case.status_code == 200, case.content
    body = case.json()
    assert [(a["source"], a["level"]) for a in body["assessments"]] == [("daily_update", "medium"), ("declaration", "low")]
    assert body["status"]["confirmed_at"] is not None
