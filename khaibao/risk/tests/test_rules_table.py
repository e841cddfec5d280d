"""Every rule of the active rule set, table-driven, with its facts at the window's edges."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from khaibao.risk.engine import Facts, assess, current_rules
from khaibao.risk.tests.factories import HOAN_KIEM, RED_HOAN_KIEM, exposure, facts, symptom, trip


@dataclass(frozen=True)
class Case:
    name: str
    symptoms: tuple[str, ...] = ()
    exposures: tuple[str, ...] = ()
    zone_travel: bool = False
    level: str = "low"
    reasons: tuple[str, ...] = ()

    def facts_aged(self, days_ago: int) -> Facts:
        return facts(
            symptoms=tuple(symptom(code, days_ago) for code in self.symptoms),
            exposures=tuple(exposure(code, days_ago) for code in self.exposures),
            travel=(trip(days_ago, ward=HOAN_KIEM),) if self.zone_travel else (),
        )


CASES = [
    Case("nothing"),
    Case("cared for the sick, no symptoms", exposures=("cared_for_sick",)),
    Case("animal market, no symptoms", exposures=("animal_market",)),
    Case("breathing with fever", symptoms=("shortness_of_breath", "fever"), level="urgent",
         reasons=("urgent.breathing_with_fever", "medium.symptoms_only")),
    Case("pneumonia with fever", symptoms=("pneumonia", "fever"), level="urgent",
         reasons=("urgent.breathing_with_fever", "medium.symptoms_only")),
    Case("pneumonia after suspected contact", symptoms=("pneumonia",), exposures=("contact_suspected",),
         level="urgent", reasons=("urgent.breathing_after_contact", "high.symptoms_with_suspected_contact")),
    Case("breathing after confirmed contact", symptoms=("shortness_of_breath",),
         exposures=("contact_confirmed",), level="urgent",
         reasons=("urgent.breathing_after_contact", "high.contact_confirmed")),
    Case("breathing after zone travel", symptoms=("shortness_of_breath",), zone_travel=True, level="urgent",
         reasons=("urgent.breathing_after_zone_travel", "high.symptoms_after_zone_travel")),
    Case("F1: contact with a confirmed case", exposures=("contact_confirmed",), level="high",
         reasons=("high.contact_confirmed",)),
    Case("cough after suspected contact", symptoms=("cough",), exposures=("contact_suspected",),
         level="high", reasons=("high.symptoms_with_suspected_contact",)),
    Case("sore throat after contact from epidemic area", symptoms=("sore_throat",),
         exposures=("contact_from_epidemic_area",), level="high",
         reasons=("high.symptoms_with_epidemic_area_contact",)),
    Case("fever after zone travel", symptoms=("fever",), zone_travel=True, level="high",
         reasons=("high.symptoms_after_zone_travel",)),
    Case("zone travel, no symptoms", zone_travel=True, level="medium", reasons=("medium.zone_travel",)),
    Case("at a venue with a case, no symptoms", exposures=("venue_exposure",), level="medium",
         reasons=("medium.venue_exposure",)),
    Case("fever after being at a venue with a case", symptoms=("fever",), exposures=("venue_exposure",),
         level="high", reasons=("high.symptoms_after_venue_exposure",)),
    Case("suspected contact, no symptoms", exposures=("contact_suspected",), level="medium",
         reasons=("medium.contact_without_symptoms",)),
    Case("contact from epidemic area, no symptoms", exposures=("contact_from_epidemic_area",),
         level="medium", reasons=("medium.contact_without_symptoms",)),
    Case("symptomatic contact, no symptoms", exposures=("contact_symptomatic",), level="medium",
         reasons=("medium.contact_without_symptoms",)),
    Case("fatigue only", symptoms=("fatigue",), level="medium", reasons=("medium.symptoms_only",)),
    Case("breathing only", symptoms=("shortness_of_breath",), level="medium", reasons=("medium.symptoms_only",)),
    Case("headache after caring for the sick", symptoms=("headache",), exposures=("cared_for_sick",),
         level="medium", reasons=("medium.symptoms_with_care_or_market",)),
    Case("diarrhoea after animal market", symptoms=("diarrhoea",), exposures=("animal_market",),
         level="medium", reasons=("medium.symptoms_with_care_or_market",)),
    Case("cough after symptomatic contact", symptoms=("cough",), exposures=("contact_symptomatic",),
         level="medium", reasons=("medium.symptoms_with_symptomatic_contact",)),
]
WINDOW = current_rules().window_days


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
@pytest.mark.parametrize("days_ago", [0, 1, WINDOW - 1, WINDOW])
def test_it_fires_inside_the_window_up_to_its_edge(case: Case, days_ago: int) -> None:
    result = assess(facts_ := case.facts_aged(days_ago), zones=[RED_HOAN_KIEM])
    assert (result.level, result.reasons) == (case.level, case.reasons), facts_


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
@pytest.mark.parametrize("days_ago", [WINDOW + 1, WINDOW + 30])
def test_it_ignores_facts_one_day_beyond_the_window(case: Case, days_ago: int) -> None:
    result = assess(case.facts_aged(days_ago), zones=[RED_HOAN_KIEM])
    assert (result.level, result.reasons) == ("low", ())


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_it_ignores_future_dated_facts(case: Case) -> None:
    result = assess(case.facts_aged(-1), zones=[RED_HOAN_KIEM])
    assert (result.level, result.reasons) == ("low", ())


def test_it_covers_every_rule_of_the_rule_set_in_the_table() -> None:
    covered = {reason for case in CASES for reason in case.reasons}
    assert covered == current_rules().rule_ids


@pytest.mark.parametrize(
    ("breathing_ago", "fever_ago", "level"),
    [(0, WINDOW, "urgent"), (WINDOW, 0, "urgent"), (0, WINDOW + 1, "medium"), (WINDOW + 1, 0, "medium")],
)
def test_it_needs_both_facts_of_a_rule_inside_the_window(breathing_ago: int, fever_ago: int, level: str) -> None:
    result = assess(facts(symptoms=(symptom("shortness_of_breath", breathing_ago), symptom("fever", fever_ago))))
    assert result.level == level


def test_it_counts_a_recent_fact_even_when_an_older_one_of_the_same_code_is_out() -> None:
    result = assess(facts(exposures=(exposure("contact_confirmed", WINDOW + 5), exposure("contact_confirmed", 2))))
    assert result.level == "high"


def test_it_ignores_unknown_codes() -> None:
    result = assess(facts(symptoms=(symptom("hiccups"),), exposures=(exposure("contact_alien"),)))
    assert (result.level, result.reasons) == ("low", ())


def test_it_records_the_rule_set_version() -> None:
    assert assess(facts()).ruleset_version == current_rules().version == "2026.2"
