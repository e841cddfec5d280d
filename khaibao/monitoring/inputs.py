"""What a re-assessment reads about a person, and their status row locked for the update.

Four reads: the current answers (declarations.selectors.current_answers), the symptoms of recent
daily updates (monitoring.selectors.update_symptoms_recent), the traced contacts
(tracing.selectors.traced_exposures) and the PersonStatus row `SELECT … FOR UPDATE`. They run on
every daily update and declaration of the country, so on PostgreSQL they are one statement:
the status row with the three others as correlated subqueries aggregated to JSON — one round
trip instead of four (bench/RESULTS.md, "Hot path"). Elsewhere (SQLite, or a person without a
status row yet) the four selectors run one after the other; both ways answer the same, which
khaibao/monitoring/tests/test_inputs.py checks on PostgreSQL.
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


def assessment_inputs(person: Person, *, since: date) -> AssessmentInputs:
    """Everything `person_assess` reads, with updates from `since` on; the status row is
    locked (and created when the person has none yet). Call inside the caller's transaction."""
    if connections[router.db_for_write(PersonStatus)].vendor == "postgresql":
        found = rowsql.fetch_with(
            PersonStatus,
            (_ANSWERS, _RECENT, _TRACED),
            "monitoring_personstatus.person_id = %s",
            [Kind.UNIVERSAL.value, since, person.pk],
            for_update=True,
        )
        if found is not None:
            status, (answers, recent, traced) = found
            status.person = person  # the caller's instance: no second read of the person
            return AssessmentInputs(
                answers=json.loads(answers),
                recent_updates=[
                    (date.fromisoformat(day), symptoms, Decimal(temperature) if temperature is not None else None)
                    for day, symptoms, temperature in json.loads(recent)
                ],
                traced=[ExposureFact(code=code, on=date.fromisoformat(on)) for code, on in json.loads(traced)],
                status=status,
            )
    return AssessmentInputs(
        answers=current_answers(person),
        recent_updates=update_symptoms_recent(person, since=since),
        traced=traced_exposures(person),
        status=_status_for_update(person),
    )


def _status_for_update(person: Person) -> PersonStatus:
    """The person's status row, locked until the transaction ends; created on first use."""
    status = rowsql.fetch(PersonStatus, "person_id = %s", [person.pk], for_update=True)
    if status is None:
        status, _created = PersonStatus.objects.select_for_update().get_or_create(person=person)
    return status
