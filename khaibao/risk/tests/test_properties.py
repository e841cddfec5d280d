"""Properties of the engine over generated facts (hypothesis)."""

from __future__ import annotations

import dataclasses
from random import Random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from khaibao.risk.engine import (
    CONDITION_CODES,
    EXPOSURE_CODES,
    LEVELS,
    SYMPTOM_CODES,
    Assessment,
    ExposureFact,
    Facts,
    SymptomFact,
    TravelFact,
    assess,
    current_rules,
)
from khaibao.risk.tests.factories import BA_DINH, HANOI, HCMC, HOAN_KIEM, SAI_GON, TODAY, ago, zone

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)

ZONES = [
    zone("hk", level=4, wards=(HOAN_KIEM,)),
    zone("hcm", level=2, from_ago=20, until_ago=8, provinces=(HCMC,)),
    zone("bd", level=1, lockdown=True, from_ago=10, wards=(BA_DINH,)),
    zone("kr", level=1, countries=("KR",)),
    zone("th", level=3, from_ago=5, countries=("TH",)),
]
RANK = {level: rank for rank, level in enumerate(LEVELS)}

days = st.builds(ago, st.integers(min_value=-3, max_value=25))
symptoms = st.builds(SymptomFact, code=st.sampled_from(sorted(SYMPTOM_CODES)), onset=days)
exposures = st.builds(ExposureFact, code=st.sampled_from(sorted(EXPOSURE_CODES)), on=days)


@st.composite
def trips(draw: st.DrawFn) -> TravelFact:
    start = draw(st.integers(min_value=-2, max_value=30))
    end = start - draw(st.integers(min_value=0, max_value=10))
    places: list[dict[str, Any]] = [
        {"ward_code": HOAN_KIEM, "province_code": HANOI},
        {"ward_code": BA_DINH, "province_code": HANOI},
        {"ward_code": SAI_GON, "province_code": HCMC},
        {"province_code": HANOI},
        {"province_code": HCMC},
        {"country": "KR"},
        {"country": "TH"},
    ]
    place = draw(st.sampled_from(places))
    return TravelFact(start=ago(start), end=ago(end), **place)


all_facts = st.builds(
    Facts,
    today=st.just(TODAY),
    birth_year=st.none() | st.integers(min_value=1920, max_value=TODAY.year),
    symptoms=st.lists(symptoms, max_size=4).map(tuple),
    exposures=st.lists(exposures, max_size=3).map(tuple),
    travel=st.lists(trips(), max_size=3).map(tuple),
    conditions=st.frozensets(st.sampled_from(sorted(CONDITION_CODES)), max_size=2),
    pregnant=st.booleans(),
)


def level_of(facts: Facts) -> int:
    return RANK[assess(facts, zones=ZONES).level]


@PROPERTY_SETTINGS
@given(all_facts, symptoms)
def test_it_never_lowers_the_level_when_a_symptom_is_added(facts: Facts, extra: SymptomFact) -> None:
    more = dataclasses.replace(facts, symptoms=(*facts.symptoms, extra))
    assert level_of(more) >= level_of(facts)


@PROPERTY_SETTINGS
@given(all_facts, exposures)
def test_it_never_lowers_the_level_when_an_exposure_is_added(facts: Facts, extra: ExposureFact) -> None:
    more = dataclasses.replace(facts, exposures=(*facts.exposures, extra))
    assert level_of(more) >= level_of(facts)


@PROPERTY_SETTINGS
@given(all_facts, trips())
def test_it_never_lowers_the_level_when_a_trip_is_added(facts: Facts, extra: TravelFact) -> None:
    more = dataclasses.replace(facts, travel=(*facts.travel, extra))
    assert level_of(more) >= level_of(facts)


@PROPERTY_SETTINGS
@given(all_facts, st.randoms(use_true_random=False))
def test_it_is_deterministic_whatever_the_order_of_the_facts(facts: Facts, random: Random) -> None:
    first = assess(facts, zones=ZONES)
    assert assess(facts, zones=ZONES) == first
    shuffled = dataclasses.replace(
        facts,
        symptoms=tuple(random.sample(facts.symptoms, len(facts.symptoms))),
        exposures=tuple(random.sample(facts.exposures, len(facts.exposures))),
        travel=tuple(random.sample(facts.travel, len(facts.travel))),
    )
    assert assess(shuffled, zones=list(reversed(ZONES))) == first


@PROPERTY_SETTINGS
@given(all_facts)
def test_it_gives_a_consistent_assessment(facts: Facts) -> None:
    rules = current_rules()
    result: Assessment = assess(facts, zones=ZONES)
    assert result.level in LEVELS
    assert set(result.reasons) <= rules.rule_ids
    assert len(set(result.reasons)) == len(result.reasons)
    fired_levels = [next(r.level for r in rules.rules if r.id == reason) for reason in result.reasons]
    assert result.level == (fired_levels[0] if fired_levels else "low")
    assert fired_levels == sorted(fired_levels, key=RANK.__getitem__, reverse=True)
    assert result.recommendations == rules.recommendations[result.level]
    assert RANK[result.level] * 1000 <= result.priority < (RANK[result.level] + 1) * 1000
    if result.level == "low":
        assert (result.monitoring_days, result.monitoring_until) == (0, None)
    else:
        assert result.monitoring_days == 14
        assert result.monitoring_until is not None
        assert TODAY <= result.monitoring_until <= ago(-14)


@PROPERTY_SETTINGS
@given(all_facts, st.lists(symptoms | exposures, max_size=3))
def test_it_ignores_facts_outside_the_window(facts: Facts, outside: list[SymptomFact | ExposureFact]) -> None:
    def push_out(fact: SymptomFact | ExposureFact) -> SymptomFact | ExposureFact:
        if isinstance(fact, SymptomFact):
            return dataclasses.replace(fact, onset=ago(15) if fact.onset <= TODAY else fact.onset)
        return dataclasses.replace(fact, on=ago(15) if fact.on <= TODAY else fact.on)

    old = [push_out(fact) for fact in outside]
    more = dataclasses.replace(
        facts,
        symptoms=(*facts.symptoms, *(f for f in old if isinstance(f, SymptomFact))),
        exposures=(*facts.exposures, *(f for f in old if isinstance(f, ExposureFact))),
    )
    assert assess(more, zones=ZONES) == assess(facts, zones=ZONES)
