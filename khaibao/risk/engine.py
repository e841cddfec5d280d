"""The risk engine (đánh giá nguy cơ): a pure, deterministic function from facts to an assessment.

No ORM and no clock: the caller passes `Facts.today`, the rule set and the epidemic zones
(see zones.py). The rules themselves are data (rules.py, rulesets/*.json); docs/risk-rules.md
is generated from them by `manage.py risk_rules_doc`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext

from khaibao.core.hotlines import hotline_params
from khaibao.risk import texts
from khaibao.risk.rules import (
    LEVEL_RANK,
    LEVELS,
    RuleSet,
    RuleSetError,
    Situation,
    current_rules,
    rules_by_version,
    ruleset_versions,
)

__all__ = [
    "CONDITION_CODES",
    "EXPOSURE_CODES",
    "LEVELS",
    "SYMPTOM_CODES",
    "WINDOW_DAYS",
    "Assessment",
    "ExposureFact",
    "Facts",
    "RuleSet",
    "RuleSetError",
    "SymptomFact",
    "TravelFact",
    "ZoneFact",
    "assess",
    "current_rules",
    "reason_text",
    "recommendation_text",
    "rules_by_version",
    "ruleset_versions",
    "zone_counts",
    "zone_visit_last_day",
]


@dataclass(frozen=True)
class SymptomFact:
    code: str
    onset: date


@dataclass(frozen=True)
class ExposureFact:
    code: str
    on: date


@dataclass(frozen=True)
class TravelFact:
    start: date
    end: date
    ward_code: int | None = None
    province_code: int | None = None  # for a ward entry the caller also fills its province_code
    country: str | None = None  # ISO alpha-2; "VN" entries use ward/province instead


@dataclass(frozen=True)
class ZoneFact:
    """One epidemic-zone version as the engine sees it (levels 1..4: xanh, vàng, cam, đỏ)."""

    zone_id: str
    level: int
    lockdown: bool
    active_from: date
    active_until: date | None  # last active day, included; None while still active
    ward_codes: frozenset[int] = frozenset()
    province_codes: frozenset[int] = frozenset()
    countries: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Facts:
    today: date
    birth_year: int | None = None
    symptoms: tuple[SymptomFact, ...] = ()
    exposures: tuple[ExposureFact, ...] = ()
    travel: tuple[TravelFact, ...] = ()
    conditions: frozenset[str] = frozenset()
    pregnant: bool = False


@dataclass(frozen=True)
class Assessment:
    level: str
    reasons: tuple[str, ...]
    recommendations: tuple[str, ...]
    monitoring_days: int
    monitoring_until: date | None
    priority: int
    ruleset_version: str


def zone_counts(zone: ZoneFact, rules: RuleSet) -> bool:
    """Whether a zone makes travel there "travel in an epidemic zone" under these rules."""
    return level_counts(level=zone.level, lockdown=zone.lockdown, rules=rules)


def level_counts(*, level: int, lockdown: bool, rules: RuleSet) -> bool:
    """The rule itself, for a zone's level and lockdown: at least the rule set's lowest epidemic
    level, or under lockdown where the rule set counts that. The engine (above) and the public
    check's "in an epidemic area" (zones.lookup.counts_as_epidemic) ask this. Who a zone warns is
    zones.zones.level_warns's: this rule, or isolation (which warns but is not a risk fact)."""
    return level >= rules.zone_min_level or (rules.zone_lockdown_counts and lockdown)


def _place_matches(trip: TravelFact, zone: ZoneFact) -> bool:
    if trip.ward_code is not None and trip.ward_code in zone.ward_codes:
        return True
    if trip.province_code is not None and trip.province_code in zone.province_codes:
        return True
    return trip.country is not None and trip.country.upper() in zone.countries


def zone_visit_last_day(trip: TravelFact, zone: ZoneFact, *, today: date, window_days: int) -> date | None:
    """The last day `trip` was inside `zone` while it was active, within the window; else None.

    Only the place and the dates are compared here; whether the zone's level counts is
    `zone_counts`.
    """
    if not _place_matches(trip, zone):
        return None
    first = max(trip.start, zone.active_from, today - timedelta(days=window_days))
    last = min(trip.end, today)
    if zone.active_until is not None:
        last = min(last, zone.active_until)
    return last if first <= last else None


def _in_window(day: date, today: date, window_days: int) -> bool:
    # Both edges included: see "window_note" in the rule set.
    return today - timedelta(days=window_days) <= day <= today


def assess(facts: Facts, *, rules: RuleSet | None = None, zones: Sequence[ZoneFact] = ()) -> Assessment:
    """Assess `facts` under `rules` (default: the active rule set) and the given epidemic zones.

    Pure and deterministic: the same facts, rules and zones always give the same assessment.
    Facts outside the window (older than `window_days`, or after `facts.today`) are ignored;
    unknown codes are ignored too (callers validate input against the code lists).
    """
    rules = rules or current_rules()
    situation, dates = _situation(facts, rules, zones)
    fired = [rule for rule in rules.rules if rule.when.holds(situation)]
    # Highest level first; within a level, the rule set's own order.
    fired.sort(key=lambda rule: -LEVEL_RANK[rule.level])
    level = fired[0].level if fired else "low"

    monitoring_days = 0
    monitoring_until = None
    if level != "low":
        monitoring_days = rules.monitoring_days
        monitoring_until = max(dates, default=facts.today) + timedelta(days=rules.monitoring_days)

    return Assessment(
        level=level,
        reasons=tuple(rule.id for rule in fired),
        recommendations=rules.recommendations[level],
        monitoring_days=monitoring_days,
        monitoring_until=monitoring_until,
        priority=_priority(facts, level, rules),
        ruleset_version=rules.version,
    )


def _situation(facts: Facts, rules: RuleSet, zones: Sequence[ZoneFact]) -> tuple[Situation, list[date]]:
    # What the rules see inside the window, and the dates of it (monitoring runs from the latest).
    today, window = facts.today, rules.window_days
    symptoms = [s for s in facts.symptoms if s.code in rules.symptom_codes and _in_window(s.onset, today, window)]
    exposures = [e for e in facts.exposures if e.code in rules.exposure_codes and _in_window(e.on, today, window)]
    zone_days = [
        day
        for trip in facts.travel
        for zone in zones
        if zone_counts(zone, rules)
        and (day := zone_visit_last_day(trip, zone, today=today, window_days=window)) is not None
    ]
    situation = Situation(
        symptoms=frozenset(s.code for s in symptoms),
        exposures=frozenset(e.code for e in exposures),
        zone_travel=bool(zone_days),
    )
    return situation, [s.onset for s in symptoms] + [e.on for e in exposures] + zone_days


def _priority(facts: Facts, level: str, rules: RuleSet) -> int:
    # For officials' order only: vulnerability raises the priority, never the level.
    weights = rules.priority
    priority = LEVEL_RANK[level] * weights.level_step
    if facts.birth_year is not None and facts.today.year - facts.birth_year >= weights.age_threshold:
        priority += weights.age
    if facts.conditions & rules.condition_codes:
        priority += weights.condition
    if facts.pregnant:
        priority += weights.pregnant
    return priority


def reason_text(rule_id: str, *, rules: RuleSet | None = None) -> str:
    """The plain-words explanation of a rule in the active language."""
    rules = rules or current_rules()
    msgid = texts.REASONS.get(rule_id)
    if msgid is None:
        return rule_id
    return gettext(msgid) % {"days": rules.window_days}


def recommendation_text(code: str) -> str:
    """The plain-words advice for a recommendation code in the active language.

    A recommendation with a placeholder (`%(hotline)s`, `%(hotlines)s`: a setting) is formatted
    with the hotlines — it may then hold no other literal "%" (write "%%").
    """
    msgid = texts.RECOMMENDATIONS.get(code)
    if msgid is None:
        return code
    text = gettext(msgid)
    return text % hotline_params() if "%(" in text else text


_CURRENT = current_rules()
SYMPTOM_CODES: frozenset[str] = _CURRENT.symptom_codes
EXPOSURE_CODES: frozenset[str] = _CURRENT.exposure_codes
CONDITION_CODES: frozenset[str] = _CURRENT.condition_codes
WINDOW_DAYS: int = _CURRENT.window_days
