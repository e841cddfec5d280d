"""On PostgreSQL a daily update is written by one statement (monitoring/services.py,
`_put_in_one_statement`); it must store exactly what the portable path stores."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.declarations.tests.helpers import (
    ago,
    assert_one_read_and_one_write,
    declaration,
    stored_rows,
    today,
)
from khaibao.monitoring import statements
from khaibao.monitoring.models import Assessment, DailyUpdate, PersonStatus

UPDATES = [  # (days ago, body): a fever yesterday, then today sent twice (the second replaces)
    (1, {"symptoms": ["cough"], "temperature": 38.4, "feeling": "unwell"}),
    (0, {"symptoms": [], "temperature": 36.8, "feeling": "well"}),
    (0, {"symptoms": ["sore_throat"], "temperature": None, "feeling": "unwell"}),
]


def _run(world: Any, api: Any) -> tuple[list[Any], dict[str, list[dict[str, Any]]]]:
    client = api.as_(world.lan)
    answers = []
    noon = timezone.make_aware(datetime.combine(today(), time(12, 0)))
    with transaction.atomic():
        for second, (days, body) in enumerate(UPDATES):
            # The same instants in both runs, so that even the timestamps must match.
            with time_machine.travel(noon + timedelta(seconds=second), tick=False):
                resp = client.put(f"/api/v1/people/{world.lan_child.id}/updates/{ago(days)}", body)
            answers.append((resp.status_code, resp.json()))
        person = world.lan_child.id
        stored = {
            "updates": stored_rows(DailyUpdate, person, order="day"),
            # Ids differ between the two runs (sequences do not roll back): compare the rest.
            "assessments": stored_rows(Assessment, person, skip=("daily_update_id",)),
            "status": stored_rows(PersonStatus, person, order="person_id"),
            "audit": stored_rows(AuditEvent, person, skip=("object_id", "hash", "prev_hash")),
        }
        stored["links"] = [
            [a.daily_update.day if a.daily_update else None for a in Assessment.objects.filter(person_id=person)]
        ]
        transaction.set_rollback(True)
    return answers, stored


@pytest.mark.postgres_only
def test_both_paths_store_the_same_rows(world, api, monkeypatch):
    api.as_(world.lan).post(f"/api/v1/people/{world.lan_child.id}/declarations", declaration())
    one_statement = _run(world, api)
    monkeypatch.setattr(statements, "writes_in_one_statement", lambda: False)
    portable = _run(world, api)
    assert [code for code, _body in one_statement[0]] == [201, 201, 200]
    assert one_statement == portable


@pytest.mark.postgres_only
def test_a_daily_update_is_one_read_and_one_write(world, api):
    client = api.as_(world.lan)
    client.post(f"/api/v1/people/{world.lan_child.id}/declarations", declaration())
    with CaptureQueriesContext(connection) as queries:
        resp = client.put(f"/api/v1/people/{world.lan_child.id}/updates/{ago(0)}", UPDATES[1][1])
    assert resp.status_code == 201
    assert_one_read_and_one_write(
        queries, tables=("monitoring_",), write='WITH written AS (INSERT INTO "monitoring_dailyupdate"', checked=True
    )
