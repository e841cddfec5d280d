"""The assessment's inputs read in one statement (PostgreSQL) equal the four selectors' answers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from khaibao.declarations.selectors import current_answers
from khaibao.declarations.tests.helpers import ago, declaration, risk_declaration, today
from khaibao.monitoring.inputs import assessment_inputs
from khaibao.monitoring.models import DailyUpdate
from khaibao.monitoring.selectors import update_symptoms_recent
from khaibao.tracing.models import Contact
from khaibao.tracing.selectors import traced_exposures


def _history(world, api) -> None:
    client = api.as_(world.lan)
    base = f"/api/v1/people/{world.lan_child.id}"
    assert client.post(f"{base}/declarations", declaration(symptoms=[{"code": "cough", "onset": ago(3)}])).status_code == 201
    assert client.post(f"{base}/risk-declarations", risk_declaration()).status_code == 201
    for days, temperature in ((1, 38.2), (0, None)):
        body = {"symptoms": ["cough"], "temperature": temperature, "feeling": "unwell"}
        assert client.put(f"{base}/updates/{ago(days)}", body).status_code in (200, 201)
    DailyUpdate.objects.filter(person=world.lan_child, day=today()).update(temperature=Decimal("37.0"))
    Contact.objects.create(source=world.lan_self, person=world.lan_child, kind="household", contact_date=today()
                           - timedelta(days=2), level="F1", exposure="contact_confirmed", matched_by="phone")


@pytest.mark.postgres_only
def test_it_reads_everything_in_one_statement_on_postgresql(world, api):
    _history(world, api)
    since = today() - timedelta(days=14)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        inputs = assessment_inputs(world.lan_child, since=since)
    selects = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1
    assert selects[0].endswith("FOR UPDATE")
    assert inputs.answers == current_answers(world.lan_child)
    assert inputs.recent_updates == update_symptoms_recent(world.lan_child, since=since)
    assert sorted(inputs.traced) == sorted(traced_exposures(world.lan_child))
    assert inputs.traced, "the traced contact is an input"
    assert inputs.status.person_id == world.lan_child.pk
    assert inputs.status.level == world.lan_child.status.level


def test_it_answers_the_same_on_every_database(world, api):
    _history(world, api)
    since = today() - timedelta(days=1)
    inputs = assessment_inputs(world.lan_child, since=since)
    assert [day for day, _s, _t in inputs.recent_updates] == [today() - timedelta(days=1), today()]
    assert inputs.recent_updates[0][2] == Decimal("38.2")
    assert len(inputs.answers) == 2  # the universal declaration and the risk declaration after it


def test_a_person_without_a_status_row_gets_one(world):
    inputs = assessment_inputs(world.lan_child, since=today())
    assert inputs.status.pk == world.lan_child.pk
    assert inputs.answers == []
    assert inputs.recent_updates == []
    assert inputs.traced == []
