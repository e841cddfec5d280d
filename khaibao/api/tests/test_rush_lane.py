"""The rush lane (api/rush.py, decision D): a daily update marked for rush mode is stored first in
one statement — access check, update, pending assessment, audit event, Idempotency-Key's answer —
before ninja; anything it does not handle goes on to the view."""

from __future__ import annotations

import time
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.accounts.access_tokens import session_start
from khaibao.audit.models import AuditEvent
from khaibao.core.models import IdempotencyRecord
from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.models import DailyUpdate, PendingAssessment
from khaibao.monitoring.pending import pending_assess_all
from khaibao.people.access import access_declaring, household_declaring_sql

COUGH = {"symptoms": ["cough"], "temperature": 37.9, "feeling": "unwell"}

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def overloaded(settings: Any) -> Any:
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    settings.RUSH_MAX_QUEUE_MS = 10_000
    settings.RUSH_MODE = True
    settings.OVERLOAD_STANDING_QUEUE_MS = 0  # the bound's cases, not a standing queue (test_standing_queue.py)
    settings.RUSH_LANE = True
    return settings


def _late(**more: str) -> dict[str, str]:
    return {"X-Request-Start": f"t={time.time() - 2:.3f}", **more}


def _signed(api: Any, account: Any) -> Any:
    # The apps' token since decision 0008 (B): a signed access token.
    return type(api)(token=session_start(account=account).access_token)


def _put(client: Any, person: Any, body: dict[str, Any], headers: dict[str, str], day: int = 0) -> Any:
    return client.put(f"/people/{person.id}/updates/{ago(day)}", body, headers=headers)


def test_it_stores_first_in_one_statement_and_answers_202_with_location(world, api, overloaded):
    client = _signed(api, world.lan)
    with CaptureQueriesContext(connection) as queries:
        resp = _put(client, world.lan_child, COUGH, _late(**{"Idempotency-Key": "k-1"}))
    assert resp.status_code == 202, resp.content
    body = resp.json()
    assert body["assessment"] == {"status": "pending"}
    assert (body["symptoms"], body["temperature"], body["feeling"]) == (["cough"], 37.9, "unwell")
    assert [s["code"] for s in body["symptom_labels"]] == ["cough"]
    assert resp["Location"] == f"/api/v1/people/{world.lan_child.id}/updates/{ago(0)}"
    assert resp["Retry-After"] == "5"
    # The security headers of the API lane still apply.
    assert resp["X-Content-Type-Options"] == "nosniff"
    # A signed token needs no read; the write is the only statement (the test's transaction adds a
    # savepoint around it; in production it runs in autocommit, no BEGIN nor COMMIT).
    writes = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(writes) == 1, writes
    assert writes[0].startswith("WITH guard AS (SELECT")
    for table in ("monitoring_dailyupdate", "monitoring_pendingassessment", "audit_auditevent", "api_idempotencyrecord"):
        assert f"INSERT INTO {table}" in writes[0].replace('"', ""), table
    update = DailyUpdate.objects.get(person=world.lan_child, day=ago(0))
    assert (update.updated_as, update.updated_by_id) == ("household_owner", world.lan.pk)
    assert PendingAssessment.objects.filter(daily_update_id=update.pk).count() == 1
    assert AuditEvent.objects.filter(action="daily_update.create", object_id=str(update.pk)).count() == 1
    record = IdempotencyRecord.objects.get(key="k-1")
    assert (record.status_code, bytes(record.body)) == (202, resp.content)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_its_202_is_the_views_byte_for_byte(world, api, overloaded, language):
    # The same update of two people of the household at one instant, through the lane and through
    # the ninja view (which validates the answer against DailyUpdatePendingOut and renders it).
    client = _signed(api, world.lan)
    answers = []
    with time_machine.travel(timezone.now(), tick=False):
        for lane, person in ((True, world.lan_child), (False, world.lan_self)):
            overloaded.RUSH_LANE = lane
            with CaptureQueriesContext(connection) as queries:
                resp = _put(client, person, COUGH, _late(**{"Accept-Language": language}))
            assert resp.status_code == 202, resp.content
            # The lane's one statement starts with its access check; the view checks access first.
            assert any(q["sql"].startswith("WITH guard AS (SELECT") for q in queries) is lane
            answers.append(resp)
    lane_answer, view_answer = answers
    assert lane_answer.content == view_answer.content
    assert lane_answer["Content-Type"] == view_answer["Content-Type"]
    assert lane_answer["Retry-After"] == view_answer["Retry-After"]


def test_the_poll_gives_the_assessment_once_the_worker_ran(world, api, overloaded):
    client = _signed(api, world.lan)
    assert _put(client, world.lan_self, COUGH, _late()).status_code == 202
    poll = client.get(f"/people/{world.lan_self.id}/updates/{ago(0)}")
    assert poll.json()["assessment"]["status"] == "pending"
    pending_assess_all()
    done = client.get(f"/people/{world.lan_self.id}/updates/{ago(0)}").json()["assessment"]
    assert done["status"] == "done"
    assert done["level"]
    assert DailyUpdate.objects.get(person=world.lan_self, day=ago(0)).updated_as == "self"


def test_a_retry_with_the_same_key_is_replayed_and_writes_nothing(world, api, overloaded):
    client = _signed(api, world.lan)
    first = _put(client, world.lan_child, COUGH, _late(**{"Idempotency-Key": "again"}))
    events = AuditEvent.objects.filter(person_id=world.lan_child.id).count()
    retry = _put(client, world.lan_child, COUGH, _late(**{"Idempotency-Key": "again"}))
    assert (retry.status_code, retry["Idempotent-Replayed"]) == (202, "true")
    assert retry.content == first.content
    assert AuditEvent.objects.filter(person_id=world.lan_child.id).count() == events
    assert DailyUpdate.objects.filter(person=world.lan_child).count() == 1
    assert PendingAssessment.objects.filter(person=world.lan_child).count() == 1
    other = _put(client, world.lan_child, {**COUGH, "feeling": "well"}, _late(**{"Idempotency-Key": "again"}))
    assert other.status_code == 422
    assert DailyUpdate.objects.get(person=world.lan_child).feeling == "unwell"


def test_another_household_gets_404_and_nothing_is_written(world, api, overloaded):
    resp = _put(_signed(api, world.mai), world.lan_child, COUGH, _late(**{"Idempotency-Key": "x"}))
    assert resp.status_code == 404
    assert not DailyUpdate.objects.filter(person=world.lan_child).exists()
    assert not PendingAssessment.objects.exists()
    assert not IdempotencyRecord.objects.filter(key="x").exists()
    assert not AuditEvent.objects.filter(action__startswith="daily_update", person_id=world.lan_child.id).exists()


def test_a_volunteer_goes_on_to_the_view_and_is_stored_first_there(world, api, overloaded):
    resp = _put(_signed(api, world.volunteer), world.ong_tu, COUGH, _late())
    assert resp.status_code == 202, resp.content
    update = DailyUpdate.objects.get(person=world.ong_tu)
    assert update.updated_as == "volunteer"
    assert PendingAssessment.objects.filter(daily_update_id=update.pk).count() == 1


def test_a_refused_body_gets_the_views_400(world, api, overloaded):
    client = _signed(api, world.lan)
    resp = _put(client, world.lan_child, {**COUGH, "temperature": 50}, _late())
    assert resp.status_code == 400
    assert "temperature" in resp.json()["error"]["fields"]
    assert _put(client, world.lan_child, COUGH, _late(), day=3).status_code == 400
    assert not DailyUpdate.objects.filter(person=world.lan_child).exists()


def test_on_time_updates_are_assessed_as_usual(world, api, overloaded):
    resp = _put(_signed(api, world.lan), world.lan_child, COUGH, {})
    assert resp.status_code == 201
    assert resp.json()["assessment"]["level"]
    assert not PendingAssessment.objects.exists()


def test_the_household_sql_agrees_with_access_declaring(world):
    people = [world.lan_self, world.lan_child, world.lan_parent, world.ong_tu, world.hoa_self]
    for user in (world.lan, world.mai, world.volunteer, world.ward_official):
        for person in people:
            statement = household_declaring_sql(user, person.id)
            row = None
            if statement is not None:
                with connection.cursor() as cursor:
                    cursor.execute(*statement)
                    row = cursor.fetchone()
            try:
                declaring = access_declaring(user, person.id)
            except Exception:
                declaring = None
            if row is not None:
                assert declaring is not None, (user, person)
                assert declaring.declared_as == row[0], (user, person)
            else:
                # What the SQL leaves to `access_declaring`: nobody's, or a volunteer's.
                assert declaring is None or declaring.declared_as == "volunteer", (user, person)
