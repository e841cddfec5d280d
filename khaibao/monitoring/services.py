"""The daily update (cập nhật hằng ngày): one row per person per day, assessed as it is written.

Two paths store the same rows: the portable one (SQLite: the upsert, `person_assess`,
`audit_record`, one after the other) and, on PostgreSQL, one read of the assessment's inputs and
one write statement (monitoring/statements.py). tests/test_daily_update_paths.py runs both and
compares every row; bench/RESULTS.md has the measurements.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.audit.services import audit_event, audit_record
from khaibao.core import rowsql
from khaibao.core.errors import ServiceError
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.monitoring import statements
from khaibao.monitoring.assessment import (
    person_assess,
    person_assess_inputs,
    person_assess_inputs_checked,
    person_assess_written_with,
)
from khaibao.monitoring.inputs import AssessmentInputs
from khaibao.monitoring.models import Assessment, DailyUpdate, Feeling, PendingAssessment, Source
from khaibao.monitoring.statements import FromWritten, Written
from khaibao.people.access import DeclaredAs, declarer_relation
from khaibao.people.models import Person

TEMPERATURE_MIN, TEMPERATURE_MAX = Decimal("34.0"), Decimal("43.0")
# A second update of the same day replaces these columns of the first; created_at stays.
_REPLACED: Final = ("symptoms", "temperature", "feeling", "updated_by_id", "updated_as", "updated_at")
# Whether a write created the day's row, as SQL over the written row (for a column the same
# statement computes, e.g. the Idempotency-Key's answer's status): a created row's created_at is its
# updated_at, a replaced one keeps its first — the SQL form of `created` below (its created_at is now).
UPDATE_CREATED_SQL: Final = "created_at = updated_at"
UPDATE_CREATED_READS: Final = ("created_at", "updated_at")


def daily_update_put(
    *,
    actor: Any,
    person: Person,
    day: date,
    symptoms: Sequence[str] = (),
    temperature: Decimal | float | None = None,
    feeling: str = Feeling.WELL,
    ip: str = "",
    declared_as: DeclaredAs | None = None,
) -> tuple[DailyUpdate, Assessment, bool]:
    """Record the daily update (cập nhật hằng ngày) of `person` for `day` — today or yesterday
    in Asia/Ho_Chi_Minh — replacing that day's earlier update, and re-assess the person.

    Returns (update, assessment, created). `actor` is the person, their household owner or an
    active volunteer; access was checked by the caller through people.access — `access_declaring`
    also says as what (`declared_as`; asked here when not given).
    """
    now = timezone.now()
    codes, value = _update_fields(
        day=day, today=timezone.localdate(now), symptoms=symptoms, temperature=temperature, feeling=feeling
    )
    update = _update_row(
        actor, day=day, codes=codes, value=value, feeling=feeling, now=now, person=person,
        updated_as=declared_as or declarer_relation(actor, person),
    )
    # The checks that refuse (ServiceError) ran above, so inside a caller's transaction (the API's
    # Idempotency-Key) this one needs no savepoint: what can fail below is the database, which
    # spoils the caller's transaction anyway — two round trips fewer (bench/RESULTS.md, "Issue 19,
    # fourth pass").
    with transaction.atomic(savepoint=False):
        if statements.writes_in_one_statement():
            assessment, created = _put_in_one_statement(update, actor=actor, now=now, ip=ip)
            return update, assessment, created
        created = _upsert(update, now)
        assessment = person_assess(person=person, source=Source.DAILY_UPDATE, now=now, daily_update=update)
        audit_record(
            actor=actor,
            action="daily_update.create" if created else "daily_update.replace",
            obj=update,
            person_id=person.pk,
            ip=ip,
            data={"day": day.isoformat()},
        )
        return update, assessment, created


def daily_update_put_checked(
    *,
    actor: Any,
    person_id: int,
    day: date,
    access: rowsql.Statement,
    symptoms: Sequence[str] = (),
    temperature: Decimal | float | None = None,
    feeling: str = Feeling.WELL,
    ip: str = "",
    record: Callable[[DailyUpdate, Assessment], Model] | None = None,
    record_from_written: Mapping[str, FromWritten] | None = None,
) -> tuple[DailyUpdate, Assessment, bool] | None:
    """`daily_update_put` with the access check read together with the assessment's inputs
    (PostgreSQL only): the API's daily update of a household owner, one read and one write.

    `access` is people.access `household_declaring_sql(actor, person_id)`; the person's status row
    is read and locked only when it has a row. None — nothing written or locked — when it has none
    or the person has no status row yet: the caller then asks `access_declaring` (a volunteer's
    delegation, or 404) and calls `daily_update_put`. Raises ServiceError as `daily_update_put`
    does, before reading anything (the caller answers 404 first for someone it may not declare for).
    `record(update, assessment)`, when given, builds a row the write inserts with the update (the
    Idempotency-Key's answer; columns from the written row in `record_from_written`): its unique
    violation undoes the whole write (IntegrityError). Returns (update, assessment, created).
    """
    now = timezone.now()
    codes, value = _update_fields(
        day=day, today=timezone.localdate(now), symptoms=symptoms, temperature=temperature, feeling=feeling
    )
    with transaction.atomic(savepoint=False):
        found = person_assess_inputs_checked(person_id, now, access=access)
        if found is None:
            return None
        inputs, declared_as = found
        update = _update_row(
            actor, day=day, codes=codes, value=value, feeling=feeling, now=now, person=inputs.status.person,
            updated_as=declared_as,
        )
        assessment, created = _put_in_one_statement(
            update, actor=actor, now=now, ip=ip, inputs=inputs,
            record=(lambda assessment: record(update, assessment)) if record is not None else None,
            record_from_written=record_from_written,
        )
        return update, assessment, created


def daily_update_store(
    *,
    actor: Any,
    person: Person,
    day: date,
    symptoms: Sequence[str] = (),
    temperature: Decimal | float | None = None,
    feeling: str = Feeling.WELL,
    ip: str = "",
    declared_as: DeclaredAs | None = None,
) -> tuple[DailyUpdate, bool]:
    """`daily_update_put` in rush mode (decision D, docs/decisions/0008): the same checks, then the
    update stored first — the update row, its place among the pending assessments and its audit
    event, in one statement on PostgreSQL — and assessed later by the worker
    (monitoring/pending.py, within 60 s). Returns (update, created); the caller answers 202.

    No status row is read or locked, and on PostgreSQL no transaction is opened around the one
    statement (it is atomic by itself): under overload the request costs one round trip here.
    """
    now = timezone.now()
    codes, value = _update_fields(
        day=day, today=timezone.localdate(now), symptoms=symptoms, temperature=temperature, feeling=feeling
    )
    update = _update_row(
        actor, day=day, codes=codes, value=value, feeling=feeling, now=now, person=person,
        updated_as=declared_as or declarer_relation(actor, person),
    )
    event = audit_event(
        actor=actor, action="daily_update.create", person_id=person.pk, ip=ip, data={"day": day.isoformat()}
    )
    event.object_type = DailyUpdate.__name__
    if statements.writes_in_one_statement():
        stored = statements.stored_first_write(
            written=_upsert_statement(update), person_id=person.pk, day=day, now=now, event=event,
            event_from_written=_EVENT_FROM_UPDATE,
        )
        assert stored is not None  # no guard: the upsert always writes its row
        update.pk, update.created_at = stored
        update._state.adding, update._state.db = False, connection.alias
        return update, update.created_at == now
    with transaction.atomic():
        created = _upsert(update, now)
        PendingAssessment.objects.bulk_create(
            [PendingAssessment(daily_update_id=update.pk, person=person, day=day, queued_at=now)],
            update_conflicts=True, unique_fields=["daily_update_id"],
            update_fields=["attempts", "failed_at", "retry_at", "gave_up_at"],
        )
        event.action = "daily_update.create" if created else "daily_update.replace"
        event.object_id = str(update.pk)
        rowsql.create(event)
    return update, created


def daily_update_store_declaring(
    *,
    actor: Any,
    person_id: int,
    day: date,
    access: rowsql.Statement,
    symptoms: Sequence[str] = (),
    temperature: Decimal | float | None = None,
    feeling: str = Feeling.WELL,
    ip: str = "",
    record: Callable[[DailyUpdate], Model] | None = None,
) -> tuple[DailyUpdate, bool] | None:
    """`daily_update_store` with the access check in the same one statement (PostgreSQL only): the
    rush lane's write (api/rush.py), where each round trip saved is a request more acknowledged.

    `access` is people.access `household_declaring_sql(actor, person_id)`: the update is written,
    as what its row says (`declared_as`), only when it has a row — else nothing is written and None
    is returned (the caller asks `access_declaring`, which may still find a volunteer's delegation).
    `record(update)`, when given, builds a row inserted with the update (the Idempotency-Key's
    answer, from the update as it will be stored); its unique violation undoes the whole write
    (IntegrityError). Raises ServiceError as `daily_update_put` does. Returns (update, created).
    """
    now = timezone.now()
    codes, value = _update_fields(
        day=day, today=timezone.localdate(now), symptoms=symptoms, temperature=temperature, feeling=feeling
    )
    # Its relation (`updated_as`) is the access check's, written by the statement (`guard.declared_as`).
    update = _update_row(actor, day=day, codes=codes, value=value, feeling=feeling, now=now, person_id=person_id)
    event = audit_event(
        actor=actor, action="daily_update.create", person_id=person_id, ip=ip, data={"day": day.isoformat()}
    )
    event.object_type = DailyUpdate.__name__
    written = rowsql.upsert_statement(
        update, conflict=("person_id", "day"), replace=_REPLACED, expressions={"updated_as": "guard.declared_as"},
        from_="guard",
    )
    stored = statements.stored_first_write(
        written=written, person_id=person_id, day=day, now=now, event=event, event_from_written=_EVENT_FROM_UPDATE,
        guard=access, record=record(update) if record is not None else None,
    )
    if stored is None:
        return None
    update.pk, update.created_at = stored
    update._state.adding, update._state.db = False, connection.alias
    return update, update.created_at == now


# The daily update's audit event, its columns known only once the upsert ran.
_EVENT_FROM_UPDATE: Final[dict[str, FromWritten]] = {
    # Created or replaced (a replaced row keeps its created_at).
    "action": FromWritten(
        "CASE WHEN " + UPDATE_CREATED_SQL + " THEN 'daily_update.create' ELSE 'daily_update.replace' END",
        reads=UPDATE_CREATED_READS,
    ),
    "object_id": FromWritten("id::text", reads=("id",)),
}


def _update_row(
    actor: Any, *, day: date, codes: list[str], value: Decimal | None, feeling: str, now: datetime, **row: Any
) -> DailyUpdate:
    """The unsaved row of the daily update `actor` sends at `now`: its checked answers (`_update_fields`)
    and, in `row`, its person and relation — the one constructor of every path (assessed, checked,
    stored first)."""
    return DailyUpdate(
        day=day, symptoms=codes, temperature=value, feeling=feeling,
        updated_by=actor if getattr(actor, "pk", None) is not None else None, created_at=now, updated_at=now, **row,
    )


def _update_fields(
    *, day: date, today: date, symptoms: Sequence[str], temperature: Decimal | float | None, feeling: str
) -> tuple[list[str], Decimal | None]:
    fields: dict[str, str] = {}
    if day > today:
        fields["day"] = _("You cannot send an update for a day that has not come yet.")
    elif day < today - timedelta(days=1):
        fields["day"] = _("Only today or yesterday can be updated.")
    known = current_questionnaire().symptoms
    codes: list[str] = []
    for i, code in enumerate(symptoms):
        if code not in known:
            fields.setdefault(f"symptoms.{i}", _("Unknown symptom."))
        elif code not in codes:
            codes.append(code)
    value, temperature_error = _temperature(temperature)
    if temperature_error:
        fields["temperature"] = temperature_error
    if feeling not in Feeling.values:
        fields["feeling"] = _("Say whether you feel well or unwell.")
    if fields:
        raise ServiceError(_("Some answers need correcting."), fields=fields)
    return codes, value


def _temperature(temperature: Decimal | float | None) -> tuple[Decimal | None, str]:
    if temperature is None:
        return None, ""
    raw = Decimal(str(temperature))
    # Compare before rounding: NaN, infinities and huge numbers cannot be quantized.
    if raw.is_finite() and TEMPERATURE_MIN <= raw <= TEMPERATURE_MAX:
        return raw.quantize(Decimal("0.1")), ""
    return None, _("Give the temperature in °C, between 34.0 and 43.0.")


def _upsert_statement(update: DailyUpdate) -> rowsql.Statement:
    # One INSERT … ON CONFLICT DO UPDATE where `update_or_create` costs four round trips
    # (savepoint, SELECT … FOR UPDATE, UPDATE or INSERT, release), and two concurrent first
    # updates of a day cannot collide on the unique constraint (bench/RESULTS.md, "Load").
    return rowsql.upsert_statement(update, conflict=("person_id", "day"), replace=_REPLACED)


def _upsert(update: DailyUpdate, now: datetime) -> bool:
    """Write `update` (portable path); True when it created the day's row. The row was created
    by this call exactly when its stored created_at is this call's `now` (a replaced row keeps its
    first created_at). Works on PostgreSQL and SQLite (≥ 3.35, RETURNING)."""
    sql, params = _upsert_statement(update)
    with connection.cursor() as cursor:
        cursor.execute(sql + " RETURNING id, created_at", params)
        update.pk, stored_created_at = cursor.fetchone()
    stored = DailyUpdate._meta.get_field("created_at").to_python(stored_created_at)
    if timezone.is_naive(stored):  # SQLite keeps naive UTC
        stored = timezone.make_aware(stored, UTC)
    update.created_at = stored
    update._state.adding, update._state.db = False, connection.alias
    return bool(stored == now)


def _put_in_one_statement(
    update: DailyUpdate, *, actor: Any, now: datetime, ip: str, inputs: AssessmentInputs | None = None,
    record: Callable[[Assessment], Model] | None = None, record_from_written: Mapping[str, FromWritten] | None = None,
) -> tuple[Assessment, bool]:
    """`daily_update_put` on PostgreSQL: one read and one write statement instead of six.

    The same rows as the portable path, in another order: read the assessment's inputs with the
    status row locked (unless the caller did: `inputs`), add this update to the recent ones in
    memory, assess, then write the update, the Assessment, the status row, the audit event (and
    `record`'s row) in one statement. The status row lock serialises updates of one person, so the
    recent updates read before the write are still the person's recent updates.
    """
    person, day = update.person, update.day
    inputs = inputs or person_assess_inputs(person, now)
    inputs.recent_updates = sorted(
        [row for row in inputs.recent_updates if row[0] != day] + [(day, update.symptoms, update.temperature)],
        key=lambda row: row[0],
    )
    event = audit_event(
        actor=actor, action="daily_update.create", person_id=person.pk, ip=ip, data={"day": day.isoformat()}
    )
    event.object_type = DailyUpdate.__name__
    assessment, read_back = person_assess_written_with(
        person=person, inputs=inputs, source=Source.DAILY_UPDATE, now=now, daily_update=update,
        written=Written("daily_update", _upsert_statement(update), read_back=("created_at",)),
        event=event, event_from_written=_EVENT_FROM_UPDATE, record=record, record_from_written=record_from_written,
    )
    update.pk, update.created_at = assessment.daily_update_id, read_back["created_at"]
    update._state.adding, update._state.db = False, connection.alias
    return assessment, read_back["created_at"] == now
