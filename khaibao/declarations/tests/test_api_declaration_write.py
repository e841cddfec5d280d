"""The declaration write under an Idempotency-Key: its statements, replays, refusals and
concurrent declarations of one person (the path is precompiled SQL, see monitoring/declaring.py)."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.audit.models import AuditEvent
from khaibao.core.testing import at_once
from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.monitoring.models import Assessment, PersonStatus


def _url(person: Any) -> str:
    return f"/api/v1/people/{person.id}/declarations"


def _stored(person: Any) -> tuple[int, int, int]:
    return (
        Declaration.objects.filter(person=person).count(),
        Assessment.objects.filter(person=person).count(),
        AuditEvent.objects.filter(person_id=person.pk, action="declaration.submit").count(),
    )


def test_a_declaration_is_one_insert_and_the_key_one_read_and_one_insert(world, api):
    client = api.as_(world.lan)
    client.post(_url(world.lan_self), declaration())  # the token's first use writes last_used_at
    with CaptureQueriesContext(connection) as queries:
        resp = client.post(
            _url(world.lan_self), declaration(symptoms=[{"code": "cough", "onset": ago(1)}]),
            headers={"Idempotency-Key": "count-1"},
        )
    assert resp.status_code == 201, resp.content
    assert resp.json()["version"] == 2
    sql = [q["sql"] for q in queries.captured_queries]
    postgresql = connection.vendor == "postgresql"
    # A lock that serialises the person's declarations, then the INSERT that takes the next
    # version: no separate MAX. On PostgreSQL the lock is the status row's, taken by the
    # assessment's inputs read, and the INSERT is the first clause of the one write statement.
    versioning = [s for s in sql if "MAX(" in s]
    assert len(versioning) == 1, sql
    insert = 'WITH written AS (INSERT INTO "declarations_declaration"' if postgresql else 'INSERT INTO "declarations_declaration"'
    assert versioning[0].startswith(insert), sql
    person_locks = [s for s in sql if s.startswith('SELECT "people_person"."id" FROM "people_person"')]
    assert len(person_locks) == (0 if postgresql else 1), sql
    if postgresql:
        status_locks = [s for s in sql if s.startswith('SELECT "monitoring_personstatus"') and s.endswith("FOR UPDATE")]
        assert sql.index(status_locks[0]) < sql.index(versioning[0]), sql
    assert [s.split(" ", 1)[0] for s in sql if "api_idempotencyrecord" in s] == ["SELECT", "INSERT"], sql
    # Only the middleware's transaction (a savepoint inside the test's): none of the service's own.
    assert len([s for s in sql if s.startswith("SAVEPOINT")]) == 1, sql
    # token, key, membership, then on PostgreSQL the assessment's inputs (status row locked)
    # and the WITH … write; elsewhere the person lock, declaration, the inputs' four reads,
    # assessment, status and audit; then the key record, the middleware's savepoint and release.
    assert len(sql) <= (8 if postgresql else 16), sql


def test_a_replay_answers_the_stored_body_without_writing(world, api):
    client = api.as_(world.lan)
    headers = {"Idempotency-Key": "replay-1"}
    first = client.post(_url(world.lan_self), declaration(conditions=["diabetes"]), headers=headers)
    assert first.status_code == 201, first.content
    before = _stored(world.lan_self)

    with CaptureQueriesContext(connection) as queries:
        again = client.post(_url(world.lan_self), declaration(conditions=["diabetes"]), headers=headers)

    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"]
    assert _stored(world.lan_self) == before == (1, 1, 1)
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]


def test_a_key_reused_with_another_body_is_refused(world, api):
    client = api.as_(world.lan)
    headers = {"Idempotency-Key": "reuse-1"}
    assert client.post(_url(world.lan_self), declaration(), headers=headers).status_code == 201

    resp = client.post(_url(world.lan_self), declaration(pregnant=True), headers=headers)

    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "idempotency_key_reused"
    assert _stored(world.lan_self) == (1, 1, 1)


def test_a_refused_declaration_writes_nothing_and_its_key_can_be_reused(world, api):
    client = api.as_(world.lan)
    headers = {"Idempotency-Key": "fix-1"}
    bad = client.post(
        _url(world.lan_child), declaration(symptoms=[{"code": "sneezing", "onset": ago(1)}]), headers=headers
    )
    assert bad.status_code == 400
    assert "symptoms.0.code" in bad.json()["error"]["fields"]
    assert _stored(world.lan_child) == (0, 0, 0)
    assert not PersonStatus.objects.filter(person=world.lan_child).exists()

    good = client.post(_url(world.lan_child), declaration(), headers=headers)

    assert good.status_code == 201, good.content
    assert "Idempotent-Replayed" not in good
    assert good.json()["version"] == 1
    assert _stored(world.lan_child) == (1, 1, 1)


def _concurrently(api: Any, account: Any, person: Any, keys: list[str]) -> list[Any]:
    token = api.as_(account).token
    clients = [type(api)(token) for _ in keys]
    sends = [
        partial(c.post, _url(person), declaration(), headers={"Idempotency-Key": key})
        for c, key in zip(clients, keys, strict=True)
    ]
    return at_once(sends, timeout=60)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_declarations_of_one_person_take_successive_versions(world, api):
    workers = 6
    answers = _concurrently(api, world.lan, world.lan_self, [f"tap-{i}" for i in range(workers)])

    assert [a.status_code for a in answers] == [201] * workers, [a.content for a in answers]
    assert sorted(a.json()["version"] for a in answers) == list(range(1, workers + 1))
    assert sorted(Declaration.objects.filter(person=world.lan_self).values_list("version", flat=True)) == list(
        range(1, workers + 1)
    )
    # The same answers six times: one assessment, confirmed five times (decision C).
    assert _stored(world.lan_self) == (workers, 1, workers)
    assert sorted(
        e.data["version"] for e in AuditEvent.objects.filter(person_id=world.lan_self.pk, action="declaration.submit")
    ) == list(range(1, workers + 1))
    # Versions and creation times rise together, and the status names the latest declaration.
    stored = list(Declaration.objects.filter(person=world.lan_self).order_by("version"))
    assert [d.created_at for d in stored] == sorted(d.created_at for d in stored)
    assert PersonStatus.objects.get(person=world.lan_self).last_declaration_at == stored[-1].created_at


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_first_attempts_with_one_key_declare_once(world, api):
    workers = 6
    answers = _concurrently(api, world.lan, world.lan_self, ["tap-tap"] * workers)

    assert [a.status_code for a in answers] == [201] * workers, [a.content for a in answers]
    assert len({a.content for a in answers}) == 1
    assert _stored(world.lan_self) == (1, 1, 1)
