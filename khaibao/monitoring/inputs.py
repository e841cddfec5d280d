"""What a re-assessment reads about a person, and their status row locked for the update.

Four reads: the current answers (declarations.selectors.current_answers), the symptoms of recent
daily updates (monitoring.selectors.update_symptoms_recent), the exposures of the registered
sources (the traced contacts: monitoring/sources.py) and the PersonStatus row `SELECT … FOR
UPDATE`. They run on every daily update and declaration of the country, so on PostgreSQL they are
one statement: the status row with the three others as correlated subqueries aggregated to JSON —
one round trip instead of four (bench/RESULTS.md, "Hot path"). Elsewhere (SQLite) they run one
after the other; both ways answer the same, which khaibao/monitoring/tests/test_inputs.py checks
on PostgreSQL.

On PostgreSQL the status row's lock is what serialises the writes of one person (daily updates,
declarations: see monitoring/declaring.py). But a statement that waited for the lock returns the
row as the other transaction committed it while its subqueries still read with the snapshot it
started with, before that commit: the answers, updates and contacts would miss the other
transaction's. The statement tells (`_FRESH`: was the locked row the one its snapshot saw?),
and then the inputs are read again — the lock is held, so that later statement sees everything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final, LiteralString

from django.db import connections, router
from django.utils import timezone

from khaibao.core import rowsql
from khaibao.declarations.models import Declaration, Kind
from khaibao.declarations.selectors import current_answers, current_floor_sql
from khaibao.monitoring.models import DailyUpdate, PersonStatus
from khaibao.monitoring.selectors import update_symptoms_recent
from khaibao.monitoring.sources import ExposureSource, exposure_sources
from khaibao.people.models import Person
from khaibao.risk.engine import ExposureFact


@dataclass
class AssessmentInputs:
    answers: list[dict[str, Any]]
    recent_updates: list[tuple[date, list[str], Decimal | None]]  # (day, symptoms, temperature), oldest first
    exposures: list[ExposureFact]  # of the registered sources (contact tracing)
    status: PersonStatus  # locked until the transaction ends

    @property
    def cleared_on(self) -> date | None:
        """The day (Asia/Ho_Chi_Minh) a health official last cleared the person, or None. The
        official judged every answer dated up to it — the updates, declarations and traced contacts
        read here, and any a caller adds to them — so the assessment leaves those facts out
        (declarations.facts.facts_after): they must not undo the clearing, a later need still counts."""
        cleared = self.status.cleared_at
        return timezone.localdate(cleared) if cleared is not None else None


# The same reads as the selectors, as JSON text (one row per person: no fan-out).
_ANSWERS: Final = (
    "(SELECT COALESCE(json_agg(d.answers ORDER BY d.version), '[]')::text FROM declarations_declaration d"  # noqa: S608
    " WHERE d.person_id = monitoring_personstatus.person_id AND d.version >= "
    + current_floor_sql("monitoring_personstatus.person_id") + ")"
)
# The answers, symptoms and temperatures come as their sealed tokens (issue 18): the database
# cannot open them, so `_locked_read` decrypts them in Python with the fields' own converters.
_RECENT: Final = (
    "(SELECT COALESCE(json_agg(json_build_array(u.day, u.symptoms, u.temperature) ORDER BY u.day), '[]')::text"
    " FROM monitoring_dailyupdate u WHERE u.person_id = monitoring_personstatus.person_id AND u.day >= %s)"
)
# False when the locked row is newer than the statement's snapshot: another transaction wrote
# it (and maybe the rows the subqueries read) after the statement started.
_FRESH: Final = (
    "COALESCE(monitoring_personstatus.xmin = (SELECT f.xmin FROM monitoring_personstatus f"
    " WHERE f.person_id = monitoring_personstatus.person_id), FALSE)"
)


_ANSWERS_FIELD: Final[Any] = Declaration._meta.get_field("answers")
_SYMPTOMS_FIELD: Final[Any] = DailyUpdate._meta.get_field("symptoms")
_TEMPERATURE_FIELD: Final[Any] = DailyUpdate._meta.get_field("temperature")


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
        exposures=[fact for source in exposure_sources() for fact in _exposures(source, person)],
        status=_status_for_update(person),
    )


# What assessing a person reads of the person row (the engine's age, the queue's ward): the rest
# of it — names, ID number, phone, all sealed — is neither read nor decrypted by a daily update.
_PERSON_ASSESSED: Final = ("id", "birth_year", "home_ward_id")


def assessment_inputs_checked(
    person_id: int, *, since: date, access: rowsql.Statement
) -> tuple[AssessmentInputs, str] | None:
    """`assessment_inputs` of `person_id` and the access check in one statement (PostgreSQL): the
    status row locked, every input, the person's assessed columns (`status.person`) — read only
    when `access` (people.access `household_declaring_sql`, its one column `declared_as`) has a row.
    Returns the inputs and `declared_as`; None, with nothing read or locked, when access has no row
    or the person no status row yet: the caller then asks `access_declaring` and `assessment_inputs`
    (a volunteer's delegation, a 404, a first assessment)."""
    found = _checked_read(person_id, since, access)
    if found is not None and not found[1]:
        found = _checked_read(person_id, since, access)  # the lock is ours now: this read is fresh
    if found is None:
        return None
    inputs, _fresh, declared_as = found
    return inputs, declared_as


def _checked_read(person_id: int, since: date, access: rowsql.Statement) -> tuple[AssessmentInputs, bool, str] | None:
    extra: list[LiteralString | rowsql.JsonRows] = [
        _ANSWERS, _RECENT, *map(_exposures_read, exposure_sources()), _FRESH, "guard.declared_as",
    ]
    found = rowsql.fetch_with_related(
        PersonStatus, "person", extra, "monitoring_personstatus.person_id = %s", [Kind.UNIVERSAL.value, since, person_id],
        related_columns=_PERSON_ASSESSED, for_update=True, guard=access,
    )
    if found is None:
        return None
    status, (*values, declared_as) = found
    inputs, fresh = _inputs_of(status, tuple(values))
    return inputs, fresh, declared_as


def assessment_inputs_many(people: Sequence[Person], *, since: date) -> dict[int, AssessmentInputs]:
    """`assessment_inputs` for a batch of people (the rush worker: monitoring/pending.py): their
    status rows created where missing and locked in person order, and on PostgreSQL every input
    read by one statement for the whole batch (the people whose row another transaction wrote
    meanwhile are read again, one by one, as `assessment_inputs` does)."""
    by_id = {p.pk: p for p in people}
    PersonStatus.objects.bulk_create([PersonStatus(person_id=pk) for pk in sorted(by_id)], ignore_conflicts=True)
    if connections[router.db_for_write(PersonStatus)].vendor != "postgresql":
        return {pk: assessment_inputs(by_id[pk], since=since) for pk in sorted(by_id)}
    sources = exposure_sources()
    extra: list[LiteralString | rowsql.JsonRows] = [_ANSWERS, _RECENT, *map(_exposures_read, sources), _FRESH]
    found = rowsql.fetch_all_with(
        PersonStatus, extra, "monitoring_personstatus.person_id = ANY(%s)", [Kind.UNIVERSAL.value, since, sorted(by_id)],
        order_by="monitoring_personstatus.person_id", for_update=True,
    )
    inputs: dict[int, AssessmentInputs] = {}
    for status, values in found:
        person = by_id[status.person_id]
        status.person = person
        read, fresh = _inputs_of(status, values)
        if not fresh:
            again = _locked_read(person, since)
            assert again is not None  # locked by this transaction
            read = again[0]
        inputs[person.pk] = read
    return inputs


def _exposures(source: ExposureSource, person: Person) -> list[ExposureFact]:
    rows = rowsql.fetch_values(source.model, (source.code, source.on), "person_id = %s", [person.pk], suffix="ORDER BY id")
    return [ExposureFact(code=code, on=on) for code, on in rows]


def _exposures_read(source: ExposureSource) -> rowsql.JsonRows:
    return rowsql.JsonRows(source.model, (source.code, source.on), match="person")


def _locked_read(person: Person, since: date) -> tuple[AssessmentInputs, bool] | None:
    # The inputs and whether they are fresh (_FRESH), or None when the person has no status row.
    sources = exposure_sources()
    extra: list[LiteralString | rowsql.JsonRows] = [_ANSWERS, _RECENT, *map(_exposures_read, sources), _FRESH]
    found = rowsql.fetch_with(
        PersonStatus, extra, "monitoring_personstatus.person_id = %s", [Kind.UNIVERSAL.value, since, person.pk],
        for_update=True,
    )
    if found is None:
        return None
    status, values = found
    status.person = person  # the caller's instance: no second read of the person
    return _inputs_of(status, values)


def _inputs_of(status: PersonStatus, values: tuple[Any, ...]) -> tuple[AssessmentInputs, bool]:
    answers, recent, *exposures, fresh = values
    inputs = AssessmentInputs(
        answers=[_ANSWERS_FIELD.from_db_value(token, None, None) for token in json.loads(answers)],
        recent_updates=[
            (date.fromisoformat(day), _SYMPTOMS_FIELD.from_db_value(symptoms, None, None),
             _TEMPERATURE_FIELD.from_db_value(temperature, None, None))
            for day, symptoms, temperature in json.loads(recent)
        ],
        exposures=[
            ExposureFact(code=code, on=date.fromisoformat(on)) for rows in exposures for code, on in json.loads(rows)
        ],
        status=status,
    )
    return inputs, bool(fresh)


def _status_for_update(person: Person) -> PersonStatus:
    """The person's status row, locked until the transaction ends; created on first use."""
    status = rowsql.fetch(PersonStatus, "person_id = %s", [person.pk], for_update=True)
    if status is None:
        status, _created = PersonStatus.objects.select_for_update().get_or_create(person=person)
    return status
