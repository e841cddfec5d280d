"""What a re-assessment reads about a person, and their status row locked for the update.

Four reads: the current answers (declarations.selectors.current_answers), the symptoms of recent
daily updates (monitoring.selectors.update_symptoms_recent), the traced contacts
(tracing.selectors.traced_exposures) and the PersonStatus row `SELECT … FOR UPDATE`. They run on
every daily update and declaration of the country, so on PostgreSQL they are one statement:
the status row with the three others as correlated subqueries aggregated to JSON — one round
trip instead of four (bench/RESULTS.md, "Hot path"). Elsewhere (SQLite) the four selectors run
one after the other; both ways answer the same, which khaibao/monitoring/tests/test_inputs.py
checks on PostgreSQL.

On PostgreSQL the status row's lock is what serialises the writes of one person (daily updates,
declarations: see declarations.services). But a statement that waited for the lock returns the
row as the other transaction committed it while its subqueries still read with the snapshot it
started with, before that commit: the answers, updates and contacts would miss the other
transaction's. The statement tells (`_FRESH`: was the locked row the one its snapshot saw?),
and then the inputs are read again — the lock is held, so that later statement sees everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connections, router

from khaibao.core import rowsql
from khaibao.declarations.models import Kind
from khaibao.declarations.selectors import current_answers
from khaibao.monitoring.models import PersonStatus
from khaibao.monitoring.selectors import update_symptoms_recent
from khaibao.people.models import Person
from khaibao.risk.engine import ExposureFact
from khaibao.tracing.selectors import traced_exposures


@dataclass
class AssessmentInputs:
    answers: list[dict[str, Any]]
    recent_updates: list[tuple[date, list[str], Decimal | None]]  # (day, symptoms, temperature), oldest first
    traced: list[ExposureFact]
    status: PersonStatus  # locked until the transaction ends


# The same reads as the three selectors, as JSON text (one row per person: no fan-out).
_ANSWERS = (
    "(SELECT COALESCE(json_agg(d.answers ORDER BY d.version), '[]')::text FROM declarations_declaration d"
    " WHERE d.person_id = monitoring_personstatus.person_id AND d.version >= COALESCE("
    "(SELECT v.version FROM declarations_declaration v WHERE v.person_id = monitoring_personstatus.person_id"
    " AND v.kind = %s ORDER BY v.version DESC LIMIT 1), 0))"
)
_RECENT = (
    "(SELECT COALESCE(json_agg(json_build_array(u.day, u.symptoms, u.temperature::text) ORDER BY u.day), '[]')::text"
    " FROM monitoring_dailyupdate u WHERE u.person_id = monitoring_personstatus.person_id AND u.day >= %s)"
)
_TRACED = (
    "(SELECT COALESCE(json_agg(json_build_array(c.exposure, c.contact_date) ORDER BY c.id), '[]')::text"
    " FROM tracing_contact c WHERE c.person_id = monitoring_personstatus.person_id)"
)
# False when the locked row is newer than the statement's snapshot: another transaction wrote
# it (and maybe the rows the subqueries read) after the statement started.
_FRESH = (
    "COALESCE(monitoring_personstatus.xmin = (SELECT f.xmin FROM monitoring_personstatus f"
    " WHERE f.person_id = monitoring_personstatus.person_id), FALSE)"
)


def assessment_inputs(person: Person, *, since: date) -> AssessmentInputs:
    """Everything `person_assess` reads, with updates from `since` on; the status row is
    locked (and created when the person has none yet). Call inside the caller's transaction.

    On PostgreSQL every input is read after the lock was granted, so that one person's writes
    serialised by the lock each see the previous one's rows."""
    if connections[router.db_for_write(PersonStatus)].vendor == "postgresql":
        found = _locked_read(person, since)
        if found is None:
            # The first assessment: create the row (locked), then read what is committed by now.
            _status_for_update(person)
            found = _locked_read(person, since)
        elif not found[1]:
            found = _locked_read(person, since)  # the lock is ours now: this read is fresh
        assert found is not None  # the row exists and is locked by this transaction
        return found[0]
    return AssessmentInputs(
        answers=current_answers(person),
        recent_updates=update_symptoms_recent(person, since=since),
        traced=traced_exposures(person),
        status=_status_for_update(person),
    )


def _locked_read(person: Person, since: date) -> tuple[AssessmentInputs, bool] | None:
    # The inputs and whether they are fresh (_FRESH), or None when the person has no status row.
    found = rowsql.fetch_with(
        PersonStatus,
        (_ANSWERS, _RECENT, _TRACED, _FRESH),
        "monitoring_personstatus.person_id = %s",
        [Kind.UNIVERSAL.value, since, person.pk],
        for_update=True,
    )
    if found is None:
        return None
    status, (answers, recent, traced, fresh) = found
    status.person = person  # the caller's instance: no second read of the person
    inputs = AssessmentInputs(
        answers=json.loads(answers),
        recent_updates=[
            (date.fromisoformat(day), symptoms, Decimal(temperature) if temperature is not None else None)
            for day, symptoms, temperature in json.loads(recent)
        ],
        traced=[ExposureFact(code=code, on=date.fromisoformat(on)) for code, on in json.loads(traced)],
        status=status,
    )
    return inputs, bool(fresh)


def _status_for_update(person: Person) -> PersonStatus:
    """The person's status row, locked until the transaction ends; created on first use."""
    status = rowsql.fetch(PersonStatus, "person_id = %s", [person.pk], for_update=True)
    if status is None:
        status, _created = PersonStatus.objects.select_for_update().get_or_create(person=person)
    return status
