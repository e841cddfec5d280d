"""An assessed write in one statement (PostgreSQL): the typed builder of the hot paths.

A daily update or a declaration is stored together with its Assessment, the person's status row
and the audit event in ONE statement — one round trip where the portable path takes four
(bench/RESULTS.md, "Hot path, second pass" and "Third pass"):

    WITH written AS (INSERT … RETURNING id, …),         -- the declaration or the daily update
         assessment AS (INSERT … (SELECT id FROM written) … RETURNING …),
         status AS (UPDATE … SET level = assessment.level, … FROM assessment WHERE …),
         event AS (INSERT … (SELECT id::text FROM written) …)
    SELECT assessment.id, written.id, … FROM written, assessment

When the assessment changes nothing (decision C: monitoring/assessment.py, `assessment_changed`)
the `assessment` part is left out and the status row takes its values as parameters:

    WITH written AS (INSERT … RETURNING id, …),
         status AS (UPDATE … SET assessed_at = %s, confirmed_at = %s, … WHERE …),
         event AS (INSERT …)
    SELECT written.id, … FROM written

Each part is a `Clause` that declares what it reads of the parts before it; `_compose` puts the
parts in that order, turns every read into the RETURNING list of the part read from, and refuses a
clause that reads a later part or a column nobody returns. Callers name no alias and write no
RETURNING list: they hand over model instances (`Written`, the Assessment, the status row, the
audit event) and, for an event column computed from the written row, SQL over that row's columns
(`FromWritten`). Every value is a parameter; the SQL text comes from the models' identifiers
(core/rowsql) and from literals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final, Literal, LiteralString, get_args

from django.db import connection
from django.db.models import Model

from khaibao.audit.models import AuditEvent
from khaibao.core import rowsql
from khaibao.monitoring.models import STATUS_COLUMNS, Assessment, PersonStatus

Part = Literal["guard", "written", "assessment", "status", "pending", "event", "record"]
# The statement's order. An assessed write has `written`, `assessment` (left out when nothing
# changed), `status` and `event`; a write stored first (rush mode) `written`, `pending`, `event`,
# and when its access check is in the statement too (api/rush.py), `guard` first — the written row
# is inserted only for a row of it — and the Idempotency-Key's answer as `record` last.
PARTS: Final[tuple[Part, ...]] = get_args(Part)
WrittenKind = Literal["declaration", "daily_update"]

# psycopg caches the parsed statement only below this many parameters: above it, it parses the
# text again on every call (measured: 0.5 ms per request; bench/RESULTS.md, "Hot path, second pass").
PARAMS_MAX: Final = 50


def writes_in_one_statement() -> bool:
    """Whether a declaration or daily update is written with its assessment, status row and
    audit event in one statement (`assessed_write`): PostgreSQL runs data-modifying WITH clauses,
    SQLite does not, and keeps the portable path."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class FromWritten:
    """A column's value computed from the written row once its INSERT ran: `sql` over that row's
    columns (e.g. ``"id::text"``), naming in `reads` every column it uses."""

    sql: LiteralString
    reads: tuple[str, ...]
    params: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Written:
    """The row being assessed, written first: its INSERT (rowsql.insert_statement or
    upsert_statement, without RETURNING). `kind` says which Assessment column links it and which
    status columns the write leaves alone; `read_back` are columns returned to the caller."""

    kind: WrittenKind
    statement: rowsql.Statement
    read_back: tuple[str, ...] = ()


@dataclass(frozen=True)
class Clause:
    """One part of the statement: its SQL (without RETURNING) and parameters, and the columns
    of earlier parts it reads."""

    part: Part
    sql: str
    params: list[Any]
    reads: Mapping[Part, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class WriteResult:
    assessment_id: int | None  # None: the assessment did not change, no row was written
    written_id: int
    read_back: dict[str, Any]


# The status columns an assessment sets, copied from the Assessment row inserted by the same
# statement (status column → assessment column); the other columns that may change are parameters.
_STATUS_FROM_ASSESSMENT: Final[Mapping[str, LiteralString]] = {
    "level": "level", "reasons": "reasons", "recommendations": "recommendations",
    "ruleset_version": "ruleset_version", "priority": "priority", "monitoring_until": "monitoring_until",
    "assessed_at": "created_at", "last_activity_at": "created_at",
}
# What the written row changes on the status row besides the assessment: its time column, and the
# columns it never touches (a daily update: the declaration time, needs_attention, the contact
# flags; a declaration: the update time, the missed-updates columns, the contact flags). Leaving
# those out keeps the statement under PARAMS_MAX.
_CONTACT_FLAGS: Final = ("is_f0", "contact_level")
_STATUS_AFTER: Final[Mapping[WrittenKind, tuple[str, tuple[str, ...]]]] = {
    "daily_update": ("last_update_at", ("last_declaration_at", "needs_attention", *_CONTACT_FLAGS)),
    "declaration": (
        "last_declaration_at",
        ("last_update_at", "last_update_day", "missed_days", "lost_to_followup_at", "escalated_at", *_CONTACT_FLAGS),
    ),
}
_LINK: Final[Mapping[WrittenKind, str]] = {"daily_update": "daily_update_id", "declaration": "declaration_id"}
# Status columns computed from the written row by the statement itself, not sent as parameters
# (an assessed daily update with its Idempotency-Key's record is at PARAMS_MAX): the latest day an
# update is for — the row is locked, and GREATEST skips the NULL of a first update.
_STATUS_FROM_WRITTEN: Final[Mapping[WrittenKind, Mapping[str, LiteralString]]] = {
    "daily_update": {
        "last_update_day": "GREATEST(monitoring_personstatus.last_update_day, (SELECT day FROM written))",
    },
    "declaration": {},
}


@cache
def _status_write(kind: WrittenKind, assessed: bool) -> tuple[dict[str, LiteralString], tuple[str, ...]]:
    # (status column → assessment column, the status columns written as parameters). Without an
    # Assessment row every column the write may change is a parameter, but those computed from
    # the written row (_STATUS_FROM_WRITTEN).
    time_column, unchanged = _STATUS_AFTER[kind]
    copied = {**_STATUS_FROM_ASSESSMENT, time_column: "created_at"} if assessed else {}
    computed = _STATUS_FROM_WRITTEN[kind]
    return copied, tuple(c for c in STATUS_COLUMNS if c not in copied and c not in unchanged and c not in computed)


def _written(written: Written) -> Clause:
    sql, params = written.statement
    return Clause("written", sql, params)


def _assessment(assessment: Assessment, kind: WrittenKind) -> Clause:
    sql, params = rowsql.insert_statement(assessment, {_LINK[kind]: ("(SELECT id FROM written)", [])})
    return Clause("assessment", sql, params, {"written": ("id",)})


def _status(status: PersonStatus, kind: WrittenKind, *, assessed: bool) -> Clause:
    copied, columns = _status_write(kind, assessed)
    computed: Mapping[str, LiteralString] = _STATUS_FROM_WRITTEN[kind]
    reads: dict[Part, tuple[str, ...]] = {"written": ("day",)} if computed else {}
    if not assessed:
        sql, params = rowsql.update_statement(status, columns, expressions=computed)
        return Clause("status", sql, params, reads)
    expressions: dict[str, LiteralString] = {name: f"assessment.{source}" for name, source in copied.items()}
    for name, expression in computed.items():
        expressions[name] = expression
    sql, params = rowsql.update_statement(status, columns, expressions=expressions, from_="assessment")
    return Clause("status", sql, params, {**reads, "assessment": tuple(dict.fromkeys(copied.values()))})


def _event(event: AuditEvent, from_written: Mapping[str, FromWritten], *, from_written_rows: bool = False) -> Clause:
    # `from_written_rows`: one event per written row, none when nothing was written (a guard).
    return _row_with("event", event, from_written, from_="written" if from_written_rows else "")


def _row_with(part: Part, row: Model, from_written: Mapping[str, FromWritten], *, from_: LiteralString = "") -> Clause:
    # The INSERT of `row`, some columns computed from the written row: a literal over that row's
    # columns, read from that row — no value is formatted in.
    sql, params = rowsql.insert_statement(
        row, {name: (f"(SELECT {v.sql} FROM written)", v.params) for name, v in from_written.items()},  # noqa: S608
        from_=from_,
    )
    reads = tuple(dict.fromkeys(column for value in from_written.values() for column in value.reads))
    return Clause(part, sql, params, {"written": reads} if reads else {})


def _returning(clauses: Sequence[Clause], select: Mapping[Part, tuple[str, ...]]) -> dict[Part, tuple[str, ...]]:
    # Each part returns what later parts and the final SELECT read of it, in first-read order.
    returning: dict[Part, dict[str, None]] = {}
    order = [c.part for c in clauses]
    core = [p for p in order if p not in ("guard", "record")]
    if order != [p for p in PARTS if p in order] or not core or core[0] != "written" or core[-1] != "event":
        raise ValueError(f"parts {order!r}: expected some of {PARTS!r} in that order, from written to event")
    for clause in clauses:
        for part, columns in clause.reads.items():
            if part not in returning:
                raise ValueError(f"{clause.part!r} reads {part!r}, which is not written before it")
            returning[part].update(dict.fromkeys(columns))
        returning[clause.part] = {}
    for part, columns in select.items():
        returning[part].update(dict.fromkeys(columns))
    return {part: tuple(columns) for part, columns in returning.items()}


@cache
def _compose(
    shape: tuple[tuple[Part, str, tuple[tuple[Part, tuple[str, ...]], ...]], ...],
    select: tuple[tuple[Part, tuple[str, ...]], ...],
) -> str:
    # Cached per shape: the clauses' SQL comes from rowsql's caches, so a hot path composes once.
    clauses = [Clause(part, sql, [], dict(reads)) for part, sql, reads in shape]
    returning = _returning(clauses, dict(select))
    parts = ", ".join(
        f"{c.part} AS ({c.sql}{' RETURNING ' + ', '.join(returning[c.part]) if returning[c.part] else ''})"
        for c in clauses
    )
    selected = ", ".join(f"{part}.{column}" for part, columns in select for column in columns)
    tables = ", ".join(dict.fromkeys(part for part, _columns in select))
    return f"WITH {parts} SELECT {selected} FROM {tables}"  # noqa: S608 — identifiers and literals only


def assessed_write(
    *, written: Written, assessment: Assessment | None, status: PersonStatus, event: AuditEvent,
    event_from_written: Mapping[str, FromWritten], record: Model | None = None,
    record_from_written: Mapping[str, FromWritten] | None = None,
) -> WriteResult:
    """Write `written`, the unsaved `assessment` (linked to it; None when it changed nothing and
    gets no row), the locked `status` row (as the assessment left it in memory) and the unsaved
    audit `event` in one statement, inside the caller's transaction. Returns the new ids and the
    `read_back` columns of the written row.

    `record` (an unsaved row: the Idempotency-Key's answer, api/idempotency.py) is inserted by the
    same statement, some columns computed from the written row (`record_from_written`): its unique
    violation undoes the whole statement (IntegrityError), so no update is stored without it."""
    assessed = assessment is not None
    clauses = (
        _written(written),
        *((_assessment(assessment, written.kind),) if assessment is not None else ()),
        _status(status, written.kind, assessed=assessed),
        _event(event, event_from_written),
        *((_row_with("record", record, record_from_written or {}),) if record is not None else ()),
    )
    select: tuple[tuple[Part, tuple[str, ...]], ...] = (
        *((("assessment", ("id",)),) if assessed else ()), ("written", ("id", *written.read_back)),
    )
    sql = _compose(tuple((c.part, c.sql, tuple(c.reads.items())) for c in clauses), select)
    params = [param for clause in clauses for param in clause.params]
    if len(params) > PARAMS_MAX:
        raise ValueError(f"{len(params)} parameters: keep an assessed write at most {PARAMS_MAX} (PARAMS_MAX)")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assessment_id, (written_id, *values) = (row[0], row[1:]) if assessed else (None, row)
    return WriteResult(assessment_id, written_id, dict(zip(written.read_back, values, strict=True)))


# A daily update stored first waits here for the worker (monitoring/pending.py); a replaced
# update keeps its place (and its first queued_at: the 60 s promise counts from it), but is new
# answers: whatever failed or was given up about the old ones starts afresh (diff review).
_PENDING: Final = (
    "INSERT INTO monitoring_pendingassessment (daily_update_id, person_id, day, queued_at)"
    " SELECT id, %s, %s, %s FROM written ON CONFLICT (daily_update_id) DO UPDATE"
    " SET attempts = 0, failed_at = NULL, retry_at = NULL, gave_up_at = NULL"
)


def stored_first_write(
    *, written: rowsql.Statement, person_id: int, day: Any, now: Any, event: AuditEvent,
    event_from_written: Mapping[str, FromWritten], guard: rowsql.Statement | None = None,
    record: Model | None = None,
) -> tuple[int, Any] | None:
    """Rush mode (decision D): the daily update `written` (its upsert), its pending assessment and
    the audit `event` in one statement, inside the caller's transaction. Returns the update's id
    and stored created_at.

    With `guard` (a query, e.g. people.access `household_declaring_sql`) `written` must read from it
    (`INSERT … SELECT … FROM guard`): when it has no row nothing is written and None is returned.
    `record` (an unsaved row, the Idempotency-Key's answer) is inserted with the update, and only
    with it: its unique violation undoes the whole statement (IntegrityError)."""
    sql, params = written
    clauses = (
        *((Clause("guard", guard[0], list(guard[1])),) if guard is not None else ()),
        Clause("written", sql, params, {"guard": ()} if guard is not None else {}),
        Clause("pending", _PENDING, [person_id, day, now], {"written": ("id",)}),
        _event(event, event_from_written, from_written_rows=guard is not None),
        *((Clause("record", *rowsql.insert_statement(record, from_="written"), {"written": ()}),)
          if record is not None else ()),
    )
    select: tuple[tuple[Part, tuple[str, ...]], ...] = (("written", ("id", "created_at")),)
    statement = _compose(tuple((c.part, c.sql, tuple(c.reads.items())) for c in clauses), select)
    values = [param for clause in clauses for param in clause.params]
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        row = cursor.fetchone()
    return (row[0], row[1]) if row is not None else None
