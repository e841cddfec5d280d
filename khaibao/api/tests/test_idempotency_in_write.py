"""Idempotency-Key on the daily update, whose own write stores the key's answer on PostgreSQL
(api/idempotency.py `KeyClaim`, issue 19): the same promises as every other write — stored once
with one audit event, replayed byte for byte, 422 for another body, forgotten after its lifetime,
one answer for concurrent retries — on both databases; and on PostgreSQL without the key's own
lookup and INSERT."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.audit.models import AuditEvent
from khaibao.core.models import IdempotencyRecord
from khaibao.core.testing import at_once
from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.monitoring.models import DailyUpdate
from khaibao.people.models import HouseholdMembership

WELL = {"symptoms": [], "temperature": 36.6, "feeling": "well"}
COUGH = {"symptoms": ["cough"], "temperature": 37.9, "feeling": "unwell"}


def _put(client: Any, person: Any, body: dict[str, Any], key: str, day: int = 0) -> Any:
    return client.put(f"/people/{person.id}/updates/{ago(day)}", body, headers={"Idempotency-Key": key})


def _declared(api: Any, account: Any, person: Any) -> Any:
    """A client of `account` after a first declaration for `person` (their status row exists)."""
    client = api.as_(account)
    assert client.post(f"/people/{person.id}/declarations", declaration()).status_code == 201
    return client


def _stored(person: Any) -> tuple[int, int, list[int]]:
    """(daily updates, their audit events, the status codes of the stored answers)."""
    events = AuditEvent.objects.filter(person_id=person.id, action__startswith="daily_update.").count()
    codes = sorted(IdempotencyRecord.objects.filter(path__contains=f"/people/{person.id}/updates/").values_list(
        "status_code", flat=True
    ))
    return DailyUpdate.objects.filter(person=person).count(), events, codes


def test_an_update_with_a_key_is_stored_once_and_replayed_byte_for_byte(world, api):
    client = _declared(api, world.lan, world.lan_child)

    first = _put(client, world.lan_child, COUGH, "update-1")
    again = _put(client, world.lan_child, COUGH, "update-1")

    assert first.status_code == 201, first.content
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert _stored(world.lan_child) == (1, 1, [201])


def test_a_second_update_of_the_day_under_a_new_key_answers_and_records_200(world, api):
    client = _declared(api, world.lan, world.lan_child)
    assert _put(client, world.lan_child, WELL, "update-1").status_code == 201

    second = _put(client, world.lan_child, COUGH, "update-2")

    assert second.status_code == 200
    assert _put(client, world.lan_child, COUGH, "update-2").content == second.content
    assert _stored(world.lan_child) == (1, 2, [200, 201])
    assert DailyUpdate.objects.get(person=world.lan_child).symptoms == ["cough"]


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(world, api):
    client = _declared(api, world.lan, world.lan_child)
    assert _put(client, world.lan_child, WELL, "update-1").status_code == 201

    resp = _put(client, world.lan_child, COUGH, "update-1")

    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "idempotency_key_reused"
    assert _stored(world.lan_child) == (1, 1, [201])
    assert DailyUpdate.objects.get(person=world.lan_child).symptoms == []


def test_a_replay_is_answered_from_the_key_even_once_the_person_left_the_household(world, api):
    client = _declared(api, world.lan, world.lan_child)
    first = _put(client, world.lan_child, COUGH, "update-1")
    HouseholdMembership.objects.filter(owner=world.lan, person=world.lan_child).delete()

    again = _put(client, world.lan_child, COUGH, "update-1")

    assert again.status_code == 201
    assert again.content == first.content
    assert _put(client, world.lan_child, COUGH, "update-2").status_code == 404
    assert _stored(world.lan_child) == (1, 1, [201])


def test_refused_updates_store_no_answer_and_404_comes_before_400(world, api):
    client = _declared(api, world.lan, world.lan_child)
    wrong = {**COUGH, "symptoms": ["not-a-symptom"]}

    assert _put(client, world.nam_self, wrong, "update-1").status_code == 404
    assert _put(client, world.lan_child, wrong, "update-1").status_code == 400
    assert _stored(world.lan_child) == (0, 0, [])
    # Corrected under the same key: stored, as any refused request may be retried.
    assert _put(client, world.lan_child, COUGH, "update-1").status_code == 201
    assert _stored(world.lan_child) == (1, 1, [201])


def test_a_volunteer_and_a_first_assessment_take_the_usual_way_with_the_same_promises(world, api):
    volunteer = api.as_(world.volunteer)
    first = _put(volunteer, world.ong_tu, COUGH, "update-1")
    again = _put(volunteer, world.ong_tu, COUGH, "update-1")
    assert (first.status_code, again.status_code, again.content) == (201, 201, first.content)
    assert _stored(world.ong_tu) == (1, 1, [201])
    # No declaration yet, so no status row: the first update creates it.
    lan = api.as_(world.lan)
    assert _put(lan, world.lan_parent, WELL, "update-2").status_code == 201
    assert _put(lan, world.lan_parent, WELL, "update-2")["Idempotent-Replayed"] == "true"
    assert _stored(world.lan_parent) == (1, 1, [201])


def test_an_expired_key_is_forgotten_and_the_update_stored_again(world, api, settings, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    client = _declared(api, world.lan, world.lan_child)
    assert _put(client, world.lan_child, COUGH, "update-1").status_code == 201
    time_machine.shift(timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS + 1))

    resp = _put(client, world.lan_child, COUGH, "update-1", day=1)  # the same path: now yesterday's

    assert resp.status_code == 200, resp.content
    assert "Idempotent-Replayed" not in resp
    assert _stored(world.lan_child) == (1, 2, [200])


@pytest.mark.postgres_only
def test_on_postgresql_the_key_is_stored_by_the_updates_own_write(world, api):
    client = _declared(api, world.lan, world.lan_child)

    with CaptureQueriesContext(connection) as queries:
        assert _put(client, world.lan_child, COUGH, "update-1").status_code == 201

    # Leaving out the opaque test token's own check (a signed access token needs none).
    statements = [
        q["sql"] for q in queries
        if q["sql"] not in ("BEGIN", "COMMIT") and "SAVEPOINT" not in q["sql"] and "accounts_apitoken" not in q["sql"]
    ]
    assert len(statements) == 2, statements  # the read with the access check, the write with the key's answer
    assert 'record AS (INSERT INTO "api_idempotencyrecord"' in statements[1], statements
    assert not any("FROM \"api_idempotencyrecord\"" in sql for sql in statements), statements


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_with_one_key_store_one_update_and_get_one_answer(world, api):
    token = _declared(api, world.lan, world.lan_child).token
    workers = 6
    clients = [type(api)(token) for _ in range(workers)]
    answers = at_once([partial(_put, c, world.lan_child, COUGH, "tap-tap-tap") for c in clients])

    assert [a.status_code for a in answers] == [201] * workers
    assert len({a.content for a in answers}) == 1
    assert sum("Idempotent-Replayed" in a for a in answers) == workers - 1
    assert _stored(world.lan_child) == (1, 1, [201])
