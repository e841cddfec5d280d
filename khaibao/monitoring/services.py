"""Health monitoring (theo dõi sức khỏe): daily updates, assessments and the PersonStatus row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.access import declarer_relation
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.declarations.facts import facts_from_answers, self_declared_zones
from khaibao.declarations.models import Declaration
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.declarations.selectors import current_answers
from khaibao.monitoring.explain import LEVEL_KEPT
from khaibao.monitoring.models import LEVEL_ORDER, Assessment, DailyUpdate, Feeling, PersonStatus, Source
from khaibao.monitoring.selectors import updates_recent
from khaibao.people.models import Person
from khaibao.risk import engine
from khaibao.risk.zones import zone_facts_for

# A measured temperature of 38.0 °C or more is a fever whether or not the box was ticked.
FEVER_FROM = Decimal("38.0")
TEMPERATURE_MIN, TEMPERATURE_MAX = Decimal("34.0"), Decimal("43.0")
_HELD_LEVELS = ("high", "urgent")


def _reported_symptoms(person: Person, today: date, lookback_days: int) -> list[engine.SymptomFact]:
    # A symptom still reported is still current: its date is the latest day it was reported,
    # so the window (and monitoring) runs on while the person keeps reporting it.
    latest: dict[str, date] = {}
    for update in updates_recent(person, since=today - timedelta(days=lookback_days)):
        codes = set(update.symptoms)
        if update.temperature is not None and update.temperature >= FEVER_FROM:
            codes.add("fever")
        for code in codes:
            latest[code] = max(latest.get(code, update.day), update.day)
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
    lowering it is a health official's decision. Monitoring periods are only opened or
    extended here, never shortened.
    """
    today = timezone.localdate(now)
    answers = current_answers(person)
    facts = facts_from_answers(
        answers,
        today=today,
        birth_year=person.birth_year,
        reported_symptoms=_reported_symptoms(person, today, current_questionnaire().lookback_days),
    )
    zones = [*zone_facts_for(facts.travel, today), *self_declared_zones(answers)]
    result = engine.assess(facts, rules=engine.current_rules(), zones=zones)

    status, _created = PersonStatus.objects.select_for_update().get_or_create(person=person)
    monitoring_open = status.monitoring_until is not None and status.monitoring_until >= today
    level = result.level
    reasons = list(result.reasons)
    recommendations = list(result.recommendations)
    kept = (
        monitoring_open
        and status.level in _HELD_LEVELS
        and LEVEL_ORDER[result.level] < LEVEL_ORDER[status.level]
    )
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

    assessment = Assessment.objects.create(
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
    status.save()
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
    update, created = DailyUpdate.objects.update_or_create(
        person=person,
        day=day,
        defaults={
            "symptoms": codes,
            "temperature": value,
            "feeling": feeling,
            "updated_by": actor,
            "updated_as": relation,
            "updated_at": now,
        },
        create_defaults={
            "symptoms": codes,
            "temperature": value,
            "feeling": feeling,
            "updated_by": actor,
            "updated_as": relation,
            "created_at": now,
            "updated_at": now,
        },
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
