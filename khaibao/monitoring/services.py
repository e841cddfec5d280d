"""Health monitoring (theo dõi sức khỏe): daily updates, assessments and the PersonStatus row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.audit.models import AuditEvent
from khaibao.audit.services import audit_event, audit_record
from khaibao.cases.queue import queue_apply
from khaibao.core import rowsql
from khaibao.core.errors import ServiceError
from khaibao.declarations.facts import facts_from_answers, self_declared_zones
from khaibao.declarations.models import Declaration
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.monitoring.explain import LEVEL_KEPT
from khaibao.monitoring.inputs import AssessmentInputs, assessment_inputs
from khaibao.monitoring.models import LEVEL_ORDER, Assessment, DailyUpdate, Feeling, PersonStatus, Source
from khaibao.people.access import declarer_relation
from khaibao.people.models import Person
from khaibao.places.models import Ward
from khaibao.risk import engine
from khaibao.risk.zones import zone_facts_for

# A measured temperature of 38.0 °C or more is a fever whether or not the box was ticked.
FEVER_FROM = Decimal("38.0")
TEMPERATURE_MIN, TEMPERATURE_MAX = Decimal("34.0"), Decimal("43.0")
_HELD_LEVELS = ("high", "urgent")


def _reported_symptoms(recent_updates: Sequence[tuple[date, list[str], Decimal | None]]) -> list[engine.SymptomFact]:
    # A symptom still reported is still current: its date is the latest day it was reported,
    # so the window (and monitoring) runs on while the person keeps reporting it.
    latest: dict[str, date] = {}
    for day, symptoms, temperature in recent_updates:
        codes = set(symptoms)
        if temperature is not None and temperature >= FEVER_FROM:
            codes.add("fever")
        for code in codes:
            latest[code] = max(latest.get(code, day), day)
    return [engine.SymptomFact(code=c, onset=d) for c, d in sorted(latest.items())]


def _merge(first: Sequence[str], second: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


def person_assess(
    *,
    person: Person,
    source: str,
    now: datetime,
    declaration: Declaration | None = None,
    daily_update: DailyUpdate | None = None,
    needs_attention: bool = False,
) -> Assessment:
    """Re-assess `person` from everything they currently declare, store the Assessment and
    bring their PersonStatus up to date. Call it inside the caller's transaction.

    Facts: the latest universal declaration, the risk-factor declarations made after it, and
    the symptoms of recent daily updates; zones: `risk.zones.zone_facts_for` plus the places
    the person declared as epidemic areas.

    Never lowers silently: while a high or urgent level has an open monitoring period, a lower
    answer of the engine is stored (`engine_level`) but the person keeps the higher level —
    lowering it is a health official's decision. A confirmed case (F0) keeps their level the
    same way until an official clears them. Monitoring periods are only opened or extended
    here, never shortened.

    Also keeps the officials' triage-queue columns (khaibao.cases.queue): the home ward and
    province, and on a daily update the missed days (contact restored) and the escalation
    when the update raised the level.
    """
    inputs = person_assess_inputs(person, now)
    assessment = _assessment_compute(
        person=person, inputs=inputs, source=source, now=now, declaration=declaration, daily_update=daily_update,
        needs_attention=needs_attention,
    )
    rowsql.create(assessment)
    rowsql.update(inputs.status, _STATUS_COLUMNS)
    return assessment


def _assessment_compute(
    *,
    person: Person,
    inputs: AssessmentInputs,
    source: str,
    now: datetime,
    declaration: Declaration | None,
    daily_update: DailyUpdate | None,
    needs_attention: bool,
) -> Assessment:
    """`person_assess` without the writes: the unsaved Assessment, and `inputs.status` brought
    up to date in memory (the caller writes both)."""
    today = timezone.localdate(now)
    answers = inputs.answers
    facts = facts_from_answers(
        answers,
        today=today,
        birth_year=person.birth_year,
        reported_symptoms=_reported_symptoms(inputs.recent_updates),
    )
    traced = inputs.traced
    if traced:
        # Contacts registered by officials are facts too, or the next daily update would
        # forget that the person is an F1/F2 contact.
        facts = replace(facts, exposures=tuple(sorted({*facts.exposures, *traced}, key=lambda f: (f.on, f.code))))
    zones = [*zone_facts_for(facts.travel, today), *self_declared_zones(answers)]
    result = engine.assess(facts, rules=engine.current_rules(), zones=zones)

    status = inputs.status
    monitoring_open = status.monitoring_until is not None and status.monitoring_until >= today
    level = result.level
    reasons = list(result.reasons)
    recommendations = list(result.recommendations)
    previous_level = status.level if status.assessed_at is not None else None
    kept = (
        (monitoring_open and status.level in _HELD_LEVELS) or status.is_f0
    ) and LEVEL_ORDER[result.level] < LEVEL_ORDER[status.level]
    if kept:
        level = status.level
        reasons = [*_merge([r for r in status.reasons if r != LEVEL_KEPT], reasons), LEVEL_KEPT]
        recommendations = _merge(status.recommendations, recommendations)

    until = status.monitoring_until if monitoring_open else None
    if result.monitoring_until is not None and result.monitoring_until >= today:
        if until is None:
            status.monitoring_from = today
        until = max(until or result.monitoring_until, result.monitoring_until)
    if until is not None:
        status.monitoring_until = until

    assessment = Assessment(
        person=person,
        source=source,
        declaration=declaration,
        daily_update=daily_update,
        level=level,
        engine_level=result.level,
        level_kept=kept,
        reasons=reasons,
        recommendations=recommendations,
        ruleset_version=result.ruleset_version,
        monitoring_days=result.monitoring_days,
        monitoring_until=until,
        priority=max(result.priority, status.priority) if kept else result.priority,
        created_at=now,
    )

    status.level = level
    status.reasons = reasons
    status.recommendations = recommendations
    status.ruleset_version = result.ruleset_version
    status.priority = assessment.priority
    status.assessed_at = now
    status.last_activity_at = now
    if declaration is not None:
        status.last_declaration_at = now
    if daily_update is not None:
        status.last_update_at = now
    if needs_attention:
        status.needs_attention = True
    if daily_update is not None:
        # Any update is today's or yesterday's, so the run of missed days up to yesterday is over.
        status.missed_days = 0
        status.lost_to_followup_at = None
        if previous_level is not None and LEVEL_ORDER[level] > LEVEL_ORDER[previous_level]:
            status.escalated_at = now
    person_status_home_fill(status, person)
    queue_apply(status, today, now)
    return assessment


# Every column but the key, as `save()` writes them (the row is locked, so nothing is lost).
_STATUS_COLUMNS = tuple(f.attname for f in PersonStatus._meta.concrete_fields if not f.primary_key)



def person_status_home_fill(status: PersonStatus, person: Person) -> None:
    """Copy the person's home ward and its province onto `status` (the queue's jurisdiction
    columns), looking the province up only when the ward changed."""
    if status.home_ward_id != person.home_ward_id or status.home_province_id is None:
        status.home_ward_id = person.home_ward_id
        status.home_province_id = Ward.objects.filter(pk=person.home_ward_id).values_list(
            "province_id", flat=True
        ).first()


def person_status_home_sync(person: Person) -> None:
    """After a person moved ward: move their status row (and so their place in a queue) too."""
    status = PersonStatus.objects.filter(person=person).first()
    if status is not None and status.home_ward_id != person.home_ward_id:
        person_status_home_fill(status, person)
        status.save(update_fields=["home_ward", "home_province"])


# Closer contact first: F0 (a case) is closer than F1, F1 than F2, and so on.
CONTACT_LEVELS = ("F0", "F1", "F2", "F3", "F4", "F5")


def person_contact_flag(*, person: Person, contact_level: str, now: datetime) -> Assessment:
    """Raise `person`'s contact level to `contact_level` (never lower it: an F0 stays F0) and
    re-assess them, the traced contact rows (tracing.Contact) counting as exposures.

    Call it inside the caller's transaction, after the Contact row is written.
    """
    if contact_level not in CONTACT_LEVELS:
        raise ValueError(f"unknown contact level {contact_level!r}")
    status, _created = PersonStatus.objects.select_for_update().get_or_create(person=person)
    current = "F0" if status.is_f0 else status.contact_level
    if current not in CONTACT_LEVELS or CONTACT_LEVELS.index(contact_level) < CONTACT_LEVELS.index(current):
        status.contact_level = contact_level
        status.save(update_fields=["contact_level"])
    return person_assess(person=person, source=Source.CONTACT_TRACING, now=now)


def person_reassess(*, person: Person, reason: str, now: datetime | None = None) -> Assessment:
    """Re-assess `person` from what they already declared because the world changed around
    them (`reason`, e.g. "zone:12:v3": an epidemic zone was declared or raised), and audit it.

    Call it inside the caller's transaction. The system is the actor: nobody read the
    person's data, the rules were applied again.
    """
    assessment = person_assess(person=person, source=Source.REASSESSMENT, now=now or timezone.now())
    audit_record(
        actor=None, action="person.reassess", obj=assessment, person_id=person.pk, reason=reason[:200]
    )
    return assessment


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
    value: Decimal | None = None
    if temperature is not None:
        raw = Decimal(str(temperature))
        # Compare before rounding: NaN, infinities and huge numbers cannot be quantized.
        if raw.is_finite() and TEMPERATURE_MIN <= raw <= TEMPERATURE_MAX:
            value = raw.quantize(Decimal("0.1"))
        else:
            fields["temperature"] = _("Give the temperature in °C, between 34.0 and 43.0.")
    if feeling not in Feeling.values:
        fields["feeling"] = _("Say whether you feel well or unwell.")
    if fields:
        raise ServiceError(_("Some answers need correcting."), fields=fields)
    return codes, value


# The order of _UPSERT_SQL's parameters.
_UPSERT_COLUMNS = (
    "person_id", "day", "symptoms", "temperature", "feeling", "updated_by_id", "updated_as", "created_at", "updated_at"
)
_UPSERT_SQL = (
    "INSERT INTO monitoring_dailyupdate (person_id, day, symptoms, temperature, feeling, updated_by_id, updated_as,"
    " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (person_id, day) DO UPDATE SET symptoms = EXCLUDED.symptoms, temperature = EXCLUDED.temperature,"
    " feeling = EXCLUDED.feeling, updated_by_id = EXCLUDED.updated_by_id, updated_as = EXCLUDED.updated_as,"
    " updated_at = EXCLUDED.updated_at"
    " RETURNING id, created_at"
)


def _daily_update_upsert(
    *, person: Person, day: date, symptoms: list[str], temperature: Decimal | None, feeling: str, actor: Any,
    relation: str, now: datetime,
) -> tuple[DailyUpdate, bool]:
    """The (person, day) row written by one INSERT … ON CONFLICT DO UPDATE … RETURNING.

    This is the hot path's write (bench/RESULTS.md, "Load"): `update_or_create` costs four round
    trips (savepoint, SELECT … FOR UPDATE, UPDATE or INSERT, release) where this costs one, and
    two concurrent first updates of a day cannot collide on the unique constraint. The row
    was created by this call exactly when its stored created_at is this call's `now` (a replaced
    row keeps its first created_at). Works on PostgreSQL and SQLite (≥ 3.35, RETURNING).
    """
    update = _daily_update_new(
        person=person, day=day, symptoms=symptoms, temperature=temperature, feeling=feeling, actor=actor,
        relation=relation, now=now,
    )
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_SQL, _upsert_params(update))
        update.pk, stored_created_at = cursor.fetchone()
    stored = DailyUpdate._meta.get_field("created_at").to_python(stored_created_at)
    if timezone.is_naive(stored):  # SQLite keeps naive UTC
        stored = timezone.make_aware(stored, UTC)
    update.created_at = stored
    update._state.adding = False
    update._state.db = connection.alias
    return update, stored == now


def _daily_update_new(
    *, person: Person, day: date, symptoms: list[str], temperature: Decimal | None, feeling: str, actor: Any,
    relation: str, now: datetime,
) -> DailyUpdate:
    return DailyUpdate(
        person=person, day=day, symptoms=symptoms, temperature=temperature, feeling=feeling,
        updated_by=actor if getattr(actor, "pk", None) is not None else None, updated_as=relation,
        created_at=now, updated_at=now,
    )


_UPSERT_FIELDS = [next(f for f in DailyUpdate._meta.concrete_fields if f.column == c) for c in _UPSERT_COLUMNS]


def _upsert_params(update: DailyUpdate) -> list[Any]:
    return [f.get_db_prep_save(getattr(update, f.attname), connection) for f in _UPSERT_FIELDS]


@transaction.atomic
def daily_update_put(
    *,
    actor: Any,
    person: Person,
    day: date,
    symptoms: Sequence[str] = (),
    temperature: Decimal | float | None = None,
    feeling: str = Feeling.WELL,
    ip: str = "",
) -> tuple[DailyUpdate, Assessment, bool]:
    """Record the daily update (cập nhật hằng ngày) of `person` for `day` — today or yesterday
    in Asia/Ho_Chi_Minh — replacing that day's earlier update, and re-assess the person.

    Returns (update, assessment, created). `actor` is the person, their household owner or an
    active volunteer; access was checked by the caller through accounts.access.
    """
    now = timezone.now()
    codes, value = _update_fields(
        day=day, today=timezone.localdate(now), symptoms=symptoms, temperature=temperature, feeling=feeling
    )
    relation = declarer_relation(actor, person)
    if writes_in_one_statement():
        return _daily_update_put_one_statement(
            actor=actor, person=person, day=day, symptoms=codes, temperature=value, feeling=feeling,
            relation=relation, now=now, ip=ip,
        )
    update, created = _daily_update_upsert(
        person=person, day=day, symptoms=codes, temperature=value, feeling=feeling, actor=actor, relation=relation,
        now=now,
    )
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


# The status columns an assessment sets, copied from the Assessment row the same statement
# inserts; the other columns that may change are parameters. What triggered the assessment says
# which columns it never changes (a daily update: the declaration time, needs_attention, the
# contact flags; a declaration: the update time, the missed-updates columns, the contact flags).
# Fewer than 50 parameters in all, or psycopg would parse the statement's text again on every
# request instead of caching it.
_STATUS_FROM_ASSESSMENT = {
    "level": "a.level", "reasons": "a.reasons", "recommendations": "a.recommendations",
    "ruleset_version": "a.ruleset_version", "priority": "a.priority", "monitoring_until": "a.monitoring_until",
    "assessed_at": "a.created_at", "last_activity_at": "a.created_at",
}
_ASSESSMENT_RETURNING = "id, level, reasons, recommendations, ruleset_version, priority, monitoring_until, created_at"


def _status_write(time_column: str, unchanged: tuple[str, ...]) -> tuple[dict[str, str], tuple[str, ...]]:
    expressions = {**_STATUS_FROM_ASSESSMENT, time_column: "a.created_at"}
    return expressions, tuple(c for c in _STATUS_COLUMNS if c not in expressions and c not in unchanged)


_CONTACT_FLAGS = ("is_f0", "contact_level")
_STATUS_AFTER_UPDATE = _status_write("last_update_at", ("last_declaration_at", "needs_attention", *_CONTACT_FLAGS))
_STATUS_AFTER_DECLARATION = _status_write(
    "last_declaration_at", ("last_update_at", "missed_days", "lost_to_followup_at", "escalated_at", *_CONTACT_FLAGS),
)


def writes_in_one_statement() -> bool:
    """Whether a declaration or daily update is written with its assessment, status row and
    audit event in one statement (`person_assess_written_with`): PostgreSQL runs
    data-modifying WITH clauses, SQLite does not."""
    return connection.vendor == "postgresql"


def person_assess_inputs(person: Person, now: datetime) -> AssessmentInputs:
    """What assessing `person` at `now` reads (the daily updates of the questionnaire's lookback
    window), their status row locked until the transaction ends — for `person_assess`, and for a
    caller of `person_assess_written_with`, which adds its new row to the inputs."""
    since = timezone.localdate(now) - timedelta(days=current_questionnaire().lookback_days)
    return assessment_inputs(person, since=since)


def person_assess_written_with(
    *,
    person: Person,
    inputs: AssessmentInputs,
    source: str,
    now: datetime,
    row: tuple[str, str, list[Any]],
    select: str,
    event: AuditEvent,
    event_expressions: dict[str, tuple[str, Sequence[Any]]],
    declaration: Declaration | None = None,
    daily_update: DailyUpdate | None = None,
    needs_attention: bool = False,
) -> tuple[Assessment, tuple[Any, ...]]:
    """`person_assess` and an audit event written in ONE statement together with the row being
    assessed (PostgreSQL; see `writes_in_one_statement`). Returns the Assessment (saved) and the
    `select`ed values of that row (its id is the Assessment's link).

    `inputs` come from `person_assess_inputs` with the new row already added in memory (the
    status lock serialises the person's writes, so they are still current). `row` is
    (name, SQL, params): an INSERT … RETURNING run as the statement's first `WITH` clause, read
    back as `name` — its `id` becomes the Assessment's `declaration_id` or `daily_update_id`,
    and `event_expressions` (rowsql.insert_statement) may copy values from it. `select` lists
    what else to return from it, e.g. ``"d.version"``.
    """
    assessment = _assessment_compute(
        person=person, inputs=inputs, source=source, now=now, declaration=declaration, daily_update=daily_update,
        needs_attention=needs_attention,
    )
    name, row_sql, row_params = row
    link = "declaration_id" if declaration is not None else "daily_update_id"
    status_expressions, status_columns = _STATUS_AFTER_DECLARATION if declaration is not None else _STATUS_AFTER_UPDATE
    assessment_sql, assessment_params = rowsql.insert_statement(
        assessment, {link: (f"(SELECT id FROM {name})", [])}  # noqa: S608 — the caller's CTE name
    )
    status_sql, status_params = rowsql.update_statement(
        inputs.status, status_columns, expressions=status_expressions, from_="a"
    )
    event_sql, event_params = rowsql.insert_statement(event, event_expressions)
    # Statements built from the models and the callers' code; every value is a parameter.
    sql = (
        f"WITH {name} AS ({row_sql}), a AS ({assessment_sql} RETURNING {_ASSESSMENT_RETURNING}),"  # noqa: S608
        f" s AS ({status_sql}), e AS ({event_sql}) SELECT a.id, {name}.id, {select} FROM {name}, a"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*row_params, *assessment_params, *status_params, *event_params])
        assessment_id, row_id, *selected = cursor.fetchone()
    assessment.pk = assessment_id
    setattr(assessment, link, row_id)
    assessment._state.adding, assessment._state.db = False, connection.alias
    return assessment, tuple(selected)


def _daily_update_put_one_statement(
    *, actor: Any, person: Person, day: date, symptoms: list[str], temperature: Decimal | None, feeling: str,
    relation: str, now: datetime, ip: str,
) -> tuple[DailyUpdate, Assessment, bool]:
    """`daily_update_put` on PostgreSQL: one read and one write statement instead of six.

    The same rows as the portable path (upsert, `person_assess`, `audit_record`), in another
    order: read the assessment's inputs with the status row locked, add this update to the
    recent ones in memory, assess, then write the update, the Assessment, the status row and
    the audit event in one `WITH … INSERT … UPDATE … INSERT` statement (atomic by itself, and
    inside the caller's transaction; `person_assess_written_with`). The status row lock
    serialises updates of one person, so the recent updates read before the write are still
    the person's recent updates. bench/RESULTS.md ("Hot path") has the measurements;
    tests/test_daily_update_paths.py checks that both paths store the same rows.
    """
    inputs = person_assess_inputs(person, now)
    inputs.recent_updates = sorted(
        [row for row in inputs.recent_updates if row[0] != day] + [(day, symptoms, temperature)],
        key=lambda row: row[0],
    )
    update = _daily_update_new(
        person=person, day=day, symptoms=symptoms, temperature=temperature, feeling=feeling, actor=actor,
        relation=relation, now=now,
    )
    event = audit_event(
        actor=actor, action="daily_update.create", person_id=person.pk, ip=ip, data={"day": day.isoformat()}
    )
    event.object_type = DailyUpdate.__name__
    assessment, (stored_created_at,) = person_assess_written_with(
        person=person, inputs=inputs, source=Source.DAILY_UPDATE, now=now, daily_update=update,
        row=("u", _UPSERT_SQL, _upsert_params(update)), select="u.created_at", event=event,
        event_expressions={
            # Created or replaced: known only once the upsert ran (a replaced row keeps its created_at).
            "action": (
                "(SELECT CASE WHEN created_at = %s THEN 'daily_update.create' ELSE 'daily_update.replace' END FROM u)",
                [rowsql.param(DailyUpdate, "created_at", now)],
            ),
            "object_id": ("(SELECT id::text FROM u)", []),
        },
    )
    update.pk, update.created_at = assessment.daily_update_id, stored_created_at
    update._state.adding, update._state.db = False, connection.alias
    return update, assessment, stored_created_at == now
