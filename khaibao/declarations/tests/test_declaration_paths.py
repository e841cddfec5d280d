"""On PostgreSQL a declaration is written by one statement (monitoring/declaring.py,
`_submit_in_one_statement`); it must store exactly what the portable path stores."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import (
    ago,
    assert_one_read_and_one_write,
    declaration,
    risk_declaration,
    stored_rows,
    today,
)
from khaibao.monitoring import statements
from khaibao.monitoring.models import Assessment, PersonStatus

STEPS = [  # (path, body): a first declaration, a risk declaration after it, a new version, another risk
    ("declarations", declaration(conditions=["diabetes"])),
    ("risk-declarations", risk_declaration()),
    ("declarations", declaration(symptoms=[{"code": "cough", "onset": ago(2)}])),
    ("risk-declarations", risk_declaration(
        contact_with_case=False, contacts=[], suspect_infection=True, symptoms=[{"code": "fever", "onset": ago(1)}],
    )),
]


def _run(world: Any, api: Any) -> tuple[list[Any], dict[str, Any]]:
    client = api.as_(world.lan)
    person = world.lan_child.id
    answers = []
    noon = timezone.make_aware(datetime.combine(today(), time(12, 0)))
    with transaction.atomic():
        for second, (path, body) in enumerate(STEPS):
            # The same instants in both runs, so that even the timestamps must match.
            with time_machine.travel(noon + timedelta(seconds=second), tick=False):
                resp = client.post(f"/api/v1/people/{person}/{path}", body)
            assert resp.status_code == 201, resp.content
            answers.append({k: v for k, v in resp.json().items() if k != "id"})  # ids: sequences do not roll back
        versions = dict(Declaration.objects.filter(person_id=person).values_list("id", "version"))
        stored = {
            "declarations": stored_rows(Declaration, person, order="version"),
            "assessments": stored_rows(Assessment, person, skip=("declaration_id",)),
            "status": stored_rows(PersonStatus, person, order="person_id"),
            "audit": stored_rows(AuditEvent, person, skip=("object_id", "hash", "prev_hash")),
            # Each row points at the right declaration: compared by version.
            "links": [
                [versions[a] for a in Assessment.objects.filter(person_id=person).order_by("id").values_list("declaration_id", flat=True)],
                [
                    (e.action, versions[int(e.object_id)], e.data["version"])
                    for e in AuditEvent.objects.filter(person_id=person, object_type="Declaration").order_by("id")
                ],
            ],
        }
        transaction.set_rollback(True)
    return answers, stored


@pytest.mark.postgres_only
def test_both_paths_store_the_same_rows(world, api, monkeypatch):
    assert not PersonStatus.objects.filter(person=world.lan_child).exists()  # the first declaration creates it
    one_statement = _run(world, api)
    monkeypatch.setattr(statements, "writes_in_one_statement", lambda: False)
    portable = _run(world, api)
    answers, stored = one_statement
    assert [a["version"] for a in answers] == [1, 2, 3, 4]
    submitted = ["declaration.submit", "risk_declaration.submit"] * 2
    assert stored["links"] == [[1, 2, 3, 4], [(action, v, v) for action, v in zip(submitted, [1, 2, 3, 4], strict=True)]]
    assert stored["status"][0]["needs_attention"]
    assert one_statement == portable


@pytest.mark.postgres_only
def test_a_declaration_is_one_read_and_one_write(world, api):
    client = api.as_(world.lan)
    client.post(f"/api/v1/people/{world.lan_child.id}/declarations", declaration())
    with CaptureQueriesContext(connection) as queries:
        resp = client.post(f"/api/v1/people/{world.lan_child.id}/risk-declarations", risk_declaration())
    assert resp.status_code == 201
    assert_one_read_and_one_write(
        queries, tables=("monitoring_", "declarations_"), write='WITH written AS (INSERT INTO "declarations_declaration"'
    )
