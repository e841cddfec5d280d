"""The assessment's inputs read in one statement (PostgreSQL) equal the four selectors' answers."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.declarations.answers import DeclarationIn, SymptomIn
from khaibao.declarations.selectors import current_answers
from khaibao.declarations.tests.helpers import ago, declaration, risk_declaration, today
from khaibao.monitoring.assessment import person_assess
from khaibao.monitoring.declaring import declaration_submit
from khaibao.monitoring.inputs import assessment_inputs
from khaibao.monitoring.models import Assessment, DailyUpdate, Source
from khaibao.monitoring.selectors import update_symptoms_recent
from khaibao.risk.engine import ExposureFact
from khaibao.tracing.models import Contact


def _traced(person) -> list[ExposureFact]:
    return [ExposureFact(code=c.exposure, on=c.contact_date) for c in Contact.objects.filter(person=person)]


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
    assert sorted(inputs.exposures) == sorted(_traced(world.lan_child))
    assert inputs.exposures, "the traced contact is an input"
    assert inputs.status.person_id == world.lan_child.pk
    assert inputs.status.level == world.lan_child.status.level


def test_it_answers_the_same_on_every_database(world, api):
    _history(world, api)
    since = today() - timedelta(days=1)
    inputs = assessment_inputs(world.lan_child, since=since)
    assert [day for day, _s, _t in inputs.recent_updates] == [today() - timedelta(days=1), today()]
    assert inputs.recent_updates[0][2] == Decimal("38.2")
    assert len(inputs.answers) == 2  # the universal declaration and the risk declaration after it
    assert inputs.exposures == _traced(world.lan_child)  # contact tracing's registered source


def test_a_person_without_a_status_row_gets_one(world):
    inputs = assessment_inputs(world.lan_child, since=today())
    assert inputs.status.pk == world.lan_child.pk
    assert inputs.answers == []
    assert inputs.recent_updates == []
    assert inputs.exposures == []


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_that_waited_for_the_lock_reads_what_the_other_one_committed(world, api):
    # The risk declaration's read waits for the status row while a new universal declaration
    # (a fever) commits: it must be assessed with the fever, not with the answers its
    # statement's snapshot saw.
    person = world.lan_child
    client = api.as_(world.lan)
    assert client.post(f"/api/v1/people/{person.id}/declarations", declaration()).status_code == 201
    holding, release = threading.Event(), threading.Event()
    answers: list[Any] = []

    def first() -> None:
        try:
            with transaction.atomic():
                declaration_submit(actor=world.lan, person=person, data=DeclarationIn(
                    symptoms=(SymptomIn(code="fever", onset=today() - timedelta(days=1)),), commitment=True,
                    consent=True,
                ))
                holding.set()
                release.wait(timeout=20)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            answers.append(type(api)(client.token).post(f"/api/v1/people/{person.id}/risk-declarations", risk_declaration()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert holding.wait(timeout=20)
    threads[1].start()
    deadline = time.monotonic() + 20
    while not _waiting_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    release.set()
    for t in threads:
        t.join(timeout=30)

    assert answers[0].status_code == 201, answers[0].content
    assert answers[0].json()["version"] == 3
    stored = Assessment.objects.get(declaration__person=person, declaration__version=3)
    with transaction.atomic():
        now = person_assess(person=person, source=Source.RISK_DECLARATION, now=timezone.now())
        transaction.set_rollback(True)
    assert (stored.engine_level, stored.reasons) == (now.engine_level, now.reasons)
