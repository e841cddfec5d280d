"""The assessment (đánh giá nguy cơ): what a person declared, run through the risk engine, kept
on their status row.

Every write that changes what is known about a person assesses them again inside its own
transaction: a declaration (monitoring/declaring.py), a daily update (monitoring/services.py), a
traced contact (`person_contact_flag`, called by contact tracing and citizen reports) and a new
epidemic zone (`person_reassess`, called by the zones' warning run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.audit.services import audit_record
from khaibao.core import rowsql
from khaibao.declarations.facts import facts_after, facts_from_answers, self_declared_zones
from khaibao.declarations.models import Declaration
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.monitoring import statements
from khaibao.monitoring.explain import LEVEL_KEPT
from khaibao.monitoring.inputs import AssessmentInputs, assessment_inputs, assessment_inputs_checked
from khaibao.monitoring.models import (
    ASSESSED_FIELDS,
    LEVEL_ORDER,
    STATUS_COLUMNS,
    Assessment,
    DailyUpdate,
    PersonStatus,
    Source,
)
from khaibao.monitoring.queue import queue_apply
from khaibao.monitoring.sources import zone_sources
from khaibao.people.models import Person
from khaibao.places.models import Ward
from khaibao.risk import engine
from khaibao.risk.zones import zone_facts_for

# A measured temperature of 38.0 °C or more is a fever whether or not the box was ticked.
FEVER_FROM = Decimal("38.0")
_HELD_LEVELS = ("high", "urgent")
# Closer contact first: F0 (a case) is closer than F1, F1 than F2, and so on.
CONTACT_LEVELS = ("F0", "F1", "F2", "F3", "F4", "F5")


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

    Facts: the latest universal declaration, the risk-factor declarations made after it, the
    symptoms of recent daily updates and the exposures of the registered sources (contact
    tracing); zones: those of the registered sources (the zones app) that a declared trip went
    through, plus the places the person declared as epidemic areas.

    Never lowers silently: while a high or urgent level has an open monitoring period, a lower
    answer of the engine is stored (`engine_level`) but the person keeps the higher level —
    lowering it is a health official's decision. A confirmed case (F0) keeps their level the
    same way until an official clears them. Once cleared, the facts dated up to the clearing
    day are left out (`AssessmentInputs.cleared_on`): only a need new since then raises the
    level again. Monitoring periods are only opened or extended here, never shortened.

    Also keeps the officials' triage-queue columns (monitoring/queue.py): the home ward and
    province, and on a daily update the missed days (contact restored) and the escalation
    when the update raised the level.

    The Assessment is stored only when it changes the one in force (`assessment_changed`);
    otherwise it is returned unsaved (no pk) and the status row records the confirmation.
    """
    inputs = person_assess_inputs(person, now)
    assessment, changed = assessment_compute(
        person=person, inputs=inputs, source=source, now=now, declaration=declaration, daily_update=daily_update,
        needs_attention=needs_attention,
    )
    if changed:
        rowsql.create(assessment)
    rowsql.update(inputs.status, STATUS_COLUMNS)
    return assessment


def person_assess_inputs(person: Person, now: datetime) -> AssessmentInputs:
    """What assessing `person` at `now` reads (the daily updates of the questionnaire's lookback
    window), their status row locked until the transaction ends — for `person_assess`, and for a
    caller of `person_assess_written_with`, which adds its new row to the inputs."""
    return assessment_inputs(person, since=_inputs_since(now))


def person_assess_inputs_checked(
    person_id: int, now: datetime, *, access: rowsql.Statement
) -> tuple[AssessmentInputs, str] | None:
    """`person_assess_inputs` read by the same statement as the access check `access` (people.access
    `household_declaring_sql`), the person's assessed columns with them (`inputs.status.person`):
    the inputs and `declared_as`, or None — nothing read or locked — when access has no row or the
    person no status row yet (monitoring/inputs.py, `assessment_inputs_checked`)."""
    return assessment_inputs_checked(person_id, since=_inputs_since(now), access=access)


def _inputs_since(now: datetime) -> date:
    # The daily updates an assessment reads: the questionnaire's lookback window.
    return timezone.localdate(now) - timedelta(days=current_questionnaire().lookback_days)


def person_assess_written_with(
    *,
    person: Person,
    inputs: AssessmentInputs,
    source: str,
    now: datetime,
    written: statements.Written,
    event: AuditEvent,
    event_from_written: Mapping[str, statements.FromWritten],
    declaration: Declaration | None = None,
    daily_update: DailyUpdate | None = None,
    needs_attention: bool = False,
    record: Callable[[Assessment], Model] | None = None,
    record_from_written: Mapping[str, statements.FromWritten] | None = None,
) -> tuple[Assessment, dict[str, Any]]:
    """`person_assess` and the audit `event` written in ONE statement together with the row
    being assessed (PostgreSQL; monitoring/statements.py). Returns the Assessment (saved and
    linked to the written row's id when it changed the one in force, else unsaved) and the written
    row's `read_back` columns.

    `inputs` come from `person_assess_inputs` with the new row already added in memory (the
    status lock serialises the person's writes, so they are still current). `record(assessment)`,
    when given, builds a row the same statement inserts (statements.assessed_write's `record`: the
    Idempotency-Key's answer, which carries the assessment).
    """
    assessment, changed = assessment_compute(
        person=person, inputs=inputs, source=source, now=now, declaration=declaration, daily_update=daily_update,
        needs_attention=needs_attention,
    )
    result = statements.assessed_write(
        written=written, assessment=assessment if changed else None, status=inputs.status, event=event,
        event_from_written=event_from_written, record=record(assessment) if record is not None else None,
        record_from_written=record_from_written,
    )
    if written.kind == "declaration":
        assessment.declaration_id = result.written_id
    else:
        assessment.daily_update_id = result.written_id
    if result.assessment_id is not None:
        assessment.pk = result.assessment_id
        assessment._state.adding, assessment._state.db = False, connection.alias
    return assessment, result.read_back


def assessment_compute(
    *,
    person: Person,
    inputs: AssessmentInputs,
    source: str,
    now: datetime,
    declaration: Declaration | None,
    daily_update: DailyUpdate | None,
    needs_attention: bool,
) -> tuple[Assessment, bool]:
    """`person_assess` without the writes: the unsaved Assessment, whether it changes the one in
    force (`assessment_changed`: the caller stores it only then), and `inputs.status` brought up
    to date in memory (the caller writes it)."""
    today = timezone.localdate(now)
    result = _engine_answer(person, inputs, today)
    status = inputs.status
    in_force = assessment_in_force(status, today)
    previous_level = status.level if status.assessed_at is not None else None
    level, reasons, recommendations, kept = _level_held(status, result, today)
    until = _monitoring_until(status, result, today)
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
    changed = assessment_changed(in_force, assessment)
    _status_apply(
        status, assessment, now=now, acted=source != Source.REASSESSMENT, declared=declaration is not None,
        updated_day=daily_update.day if daily_update is not None else None,
        needs_attention=needs_attention, changed=changed,
    )
    if daily_update is not None:
        # Any update is today's or yesterday's, so the run of missed days up to yesterday is over.
        status.missed_days = 0
        status.lost_to_followup_at = None
        if previous_level is not None and LEVEL_ORDER[level] > LEVEL_ORDER[previous_level]:
            status.escalated_at = now
    person_status_home_fill(status, person)
    queue_apply(status, today, now)
    return assessment, changed


def assessment_in_force(status: PersonStatus, today: date) -> dict[str, Any] | None:
    """The `ASSESSED_FIELDS` of the assessment `status` holds on `today` (None before the first
    one). A monitoring period that has ended counts as none: an assessment made today would not
    carry it either."""
    if status.assessed_at is None:
        return None
    values = {name: getattr(status, name) for name in ASSESSED_FIELDS}
    if values["monitoring_until"] is not None and values["monitoring_until"] < today:
        values["monitoring_until"] = None
    return values


def assessment_changed(in_force: Mapping[str, Any] | None, assessment: Assessment) -> bool:
    """Whether `assessment` differs from the one in force (`assessment_in_force`) in its level,
    reasons, advice, monitoring period, priority or rule-set version — the one rule that decides
    whether an Assessment row is written (decision C, docs/decisions/0008)."""
    if in_force is None:
        return True
    return any(getattr(assessment, name) != in_force[name] for name in ASSESSED_FIELDS)


def _engine_answer(person: Person, inputs: AssessmentInputs, today: date) -> engine.Assessment:
    answers = inputs.answers
    facts = facts_from_answers(
        answers, today=today, birth_year=person.birth_year, reported_symptoms=_reported_symptoms(inputs.recent_updates)
    )
    if inputs.exposures:
        # Exposures registered by officials (contact tracing) are facts too, or the next daily
        # update would forget that the person is an F1/F2 contact.
        exposures = sorted({*facts.exposures, *inputs.exposures}, key=lambda f: (f.on, f.code))
        facts = replace(facts, exposures=tuple(exposures))
    cleared_on = inputs.cleared_on
    if cleared_on is not None:
        # An official cleared the person: lowering is theirs, and the same facts must not raise
        # the level again at the next update or zone (cases.services, "cleared").
        facts = facts_after(facts, cleared_on)
    zones = [*_zones_travelled(facts.travel, today), *self_declared_zones(answers)]
    return engine.assess(facts, rules=engine.current_rules(), zones=zones)


def _zones_travelled(travel: Sequence[engine.TravelFact], today: date) -> list[engine.ZoneFact]:
    # The registered sources (the zones app) read the candidates; the risk engine filters them.
    candidates = [zone for source in zone_sources() for zone in source(travel, today)] if travel else []
    return zone_facts_for(travel, today, candidates)


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


def _level_held(
    status: PersonStatus, result: engine.Assessment, today: date
) -> tuple[str, list[str], list[str], bool]:
    # (level, reasons, recommendations, kept): an open high or urgent period, or a confirmed
    # case, keeps the higher level when the engine answers lower.
    monitoring_open = status.monitoring_until is not None and status.monitoring_until >= today
    kept = (
        (monitoring_open and status.level in _HELD_LEVELS) or status.is_f0
    ) and LEVEL_ORDER[result.level] < LEVEL_ORDER[status.level]
    if not kept:
        return result.level, list(result.reasons), list(result.recommendations), False
    reasons = [*_merge([r for r in status.reasons if r != LEVEL_KEPT], result.reasons), LEVEL_KEPT]
    return status.level, reasons, _merge(status.recommendations, result.recommendations), True


def _monitoring_until(status: PersonStatus, result: engine.Assessment, today: date) -> date | None:
    # Opened or extended, never shortened; `status.monitoring_from` is set when a period opens.
    monitoring_open = status.monitoring_until is not None and status.monitoring_until >= today
    until = status.monitoring_until if monitoring_open else None
    if result.monitoring_until is not None and result.monitoring_until >= today:
        if until is None:
            status.monitoring_from = today
        until = max(until or result.monitoring_until, result.monitoring_until)
    if until is not None:
        status.monitoring_until = until
    return until


def _status_apply(
    status: PersonStatus, assessment: Assessment, *, now: datetime, acted: bool, declared: bool,
    updated_day: date | None, needs_attention: bool, changed: bool,
) -> None:
    status.level = assessment.level
    status.reasons = assessment.reasons
    status.recommendations = assessment.recommendations
    status.ruleset_version = assessment.ruleset_version
    status.priority = assessment.priority
    status.assessed_at = now
    status.confirmed_at = None if changed else now
    if acted:
        status_acted(status, now)
    if declared:
        status.last_declaration_at = now
    if updated_day is not None:
        status.last_update_at = now
        # Yesterday's update sent after today's leaves today's standing (the row is held locked).
        if status.last_update_day is None or updated_day > status.last_update_day:
            status.last_update_day = updated_day
    if needs_attention:
        status.needs_attention = True


def status_acted(status: PersonStatus, now: datetime) -> None:
    """Record that someone acted on the person's record at `now`: the person (a declaration, a
    daily update) or a health official (a follow-up action, a traced contact). The clock their
    health data's retention counts from (privacy/retention.py, `inactive_people`; the consent
    notice's "erased … days after your last activity").

    A re-assessment the system runs because the world changed around the person (a new epidemic
    zone, a venue exposure: `person_reassess`) is nobody's activity: it neither keeps their data
    longer than the notice says nor stands for a recent declaration (the pass reads only the
    person's own declaration and update times: passes/services.py)."""
    status.last_activity_at = now


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


def person_contact_flag(*, person: Person, contact_level: str, now: datetime) -> Assessment:
    """Raise `person`'s contact level to `contact_level` (never lower it: an F0 stays F0) and
    re-assess them, the exposures of the registered sources (tracing.Contact) counting.

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
    # An unchanged assessment has no row of its own: the event then names the person.
    audit_record(
        actor=None, action="person.reassess", obj=assessment if assessment.pk else person, person_id=person.pk,
        reason=reason[:200],
    )
    return assessment
