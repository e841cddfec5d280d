"""Turning stored answers into the risk engine's facts (khaibao/risk/engine.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from khaibao.risk.engine import ExposureFact, Facts, SymptomFact, TravelFact, ZoneFact

SELF_DECLARED_ZONE_ID = "self-declared"
# Resolution 128/NQ-CP level 2 (vàng): the lowest level the rules treat as an epidemic zone.
_SELF_DECLARED_ZONE_LEVEL = 2


def _travel_fact(entry: dict[str, Any]) -> TravelFact:
    return TravelFact(
        start=date.fromisoformat(entry["from"]),
        end=date.fromisoformat(entry["to"]),
        ward_code=entry.get("ward_code"),
        province_code=entry.get("province_code"),
        country=entry.get("country"),
    )


def facts_from_answers(
    answers: Iterable[dict[str, Any]],
    *,
    today: date,
    birth_year: int | None,
    reported_symptoms: Sequence[SymptomFact] = (),
) -> Facts:
    """One set of facts from several stored answers (a declaration, newer risk declarations)
    plus symptoms reported in daily updates. Duplicates are dropped; order is kept stable so
    the same inputs always give the same facts.
    """
    symptoms: dict[tuple[str, date], SymptomFact] = {}
    exposures: dict[tuple[str, date], ExposureFact] = {}
    travel: dict[TravelFact, None] = {}
    conditions: set[str] = set()
    pregnant = False
    for a in answers:
        for s in a.get("symptoms", ()):
            fact = SymptomFact(code=s["code"], onset=date.fromisoformat(s["onset"]))
            symptoms[(fact.code, fact.onset)] = fact
        for e in a.get("exposures", ()):
            efact = ExposureFact(code=e["code"], on=date.fromisoformat(e["date"]))
            exposures[(efact.code, efact.on)] = efact
        for t in a.get("travel", ()):
            travel[_travel_fact(t)] = None
        conditions.update(a.get("conditions", ()))
        pregnant = pregnant or bool(a.get("pregnant"))
    for fact in reported_symptoms:
        symptoms[(fact.code, fact.onset)] = fact
    return Facts(
        today=today,
        birth_year=birth_year,
        symptoms=tuple(sorted(symptoms.values(), key=lambda f: (f.onset, f.code))),
        exposures=tuple(sorted(exposures.values(), key=lambda f: (f.on, f.code))),
        travel=tuple(travel),
        conditions=frozenset(conditions),
        pregnant=pregnant,
    )


def facts_after(facts: Facts, day: date) -> Facts:
    """`facts` without what is dated on or before `day`: symptoms by onset, exposures by date,
    trips by their days (one still going on after `day` keeps only its later days, so a zone
    meets it only there). Age, conditions and pregnancy are no events: they stay.

    For a person a health official cleared on `day` (monitoring/assessment.py): the official
    judged those answers, and only what is new after the clearing may raise the level again.
    """
    later = day + timedelta(days=1)
    return replace(
        facts,
        symptoms=tuple(s for s in facts.symptoms if s.onset > day),
        exposures=tuple(e for e in facts.exposures if e.on > day),
        travel=tuple(
            replace(t, start=max(t.start, later)) if t.start <= day else t for t in facts.travel if t.end > day
        ),
    )


def self_declared_zones(answers: Iterable[dict[str, Any]]) -> list[ZoneFact]:
    """Zones for the places a person said were epidemic areas in a risk-factor declaration.

    The person's own word counts even before the zones registry knows the place: each
    declared trip becomes a level-2 zone active during that trip.
    """
    zones: list[ZoneFact] = []
    for a in answers:
        if not a.get("came_from_epidemic_area"):
            continue
        for i, t in enumerate(a.get("travel", ())):
            fact = _travel_fact(t)
            zones.append(
                ZoneFact(
                    zone_id=f"{SELF_DECLARED_ZONE_ID}-{i}",
                    level=_SELF_DECLARED_ZONE_LEVEL,
                    lockdown=False,
                    active_from=fact.start,
                    active_until=fact.end,
                    ward_codes=frozenset({fact.ward_code}) if fact.ward_code is not None else frozenset(),
                    province_codes=(
                        frozenset({fact.province_code})
                        if fact.province_code is not None and fact.ward_code is None
                        else frozenset()
                    ),
                    countries=frozenset({fact.country}) if fact.country else frozenset(),
                )
            )
    return zones
