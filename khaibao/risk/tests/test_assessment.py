"""Monitoring dates, priority, recommendations, texts and rule-set parameters."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from django.utils import translation

from khaibao.risk.engine import (
    CONDITION_CODES,
    EXPOSURE_CODES,
    LEVELS,
    SYMPTOM_CODES,
    WINDOW_DAYS,
    Facts,
    assess,
    current_rules,
    reason_text,
    recommendation_text,
    rules_by_version,
)
from khaibao.risk.tests.factories import (
    HOAN_KIEM,
    RED_HOAN_KIEM,
    TODAY,
    ago,
    exposure,
    facts,
    symptom,
    trip,
    zone,
)


def test_it_starts_no_monitoring_when_low() -> None:
    result = assess(facts(exposures=(exposure("animal_market", 2),)))
    assert (result.level, result.monitoring_days, result.monitoring_until) == ("low", 0, None)
    assert result.recommendations == ("five_k",)


@pytest.mark.parametrize(
    ("case", "until"),
    [
        (facts(symptoms=(symptom("cough", 3),)), ago(3 - 14)),
        (facts(exposures=(exposure("contact_confirmed", 14),)), TODAY),
        (facts(exposures=(exposure("contact_confirmed", 0),)), ago(-14)),
        # the latest counted date, whichever fact it belongs to
        (facts(symptoms=(symptom("fever", 9), symptom("pneumonia", 2)), exposures=(exposure("cared_for_sick", 5),)),
         ago(2 - 14)),
        (facts(exposures=(exposure("contact_suspected", 10), exposure("animal_market", 1))), ago(1 - 14)),
        # facts beyond the window do not extend monitoring
        (facts(exposures=(exposure("contact_confirmed", 4),), symptoms=(symptom("cough", 20),)), ago(4 - 14)),
    ],
)
def test_it_monitors_for_14_days_from_the_latest_fact(case: Facts, until: date) -> None:
    result = assess(case)
    assert result.monitoring_days == 14
    assert result.monitoring_until == until


def test_it_monitors_from_the_last_day_in_the_zone_while_it_was_active() -> None:
    lifted = zone(from_ago=30, until_ago=6, wards=(HOAN_KIEM,))
    assert assess(facts(travel=(trip(9, 2, ward=HOAN_KIEM),)), zones=[lifted]).monitoring_until == ago(6 - 14)
    assert assess(facts(travel=(trip(9, 2, ward=HOAN_KIEM),)), zones=[RED_HOAN_KIEM]).monitoring_until == ago(2 - 14)
    # still there today: monitoring runs from today, not from a planned return date
    assert assess(facts(travel=(trip(9, -5, ward=HOAN_KIEM),)), zones=[RED_HOAN_KIEM]).monitoring_until == ago(-14)


def test_it_gives_recommendations_for_the_level() -> None:
    assert "call_hotline" in assess(facts(exposures=(exposure("contact_confirmed"),))).recommendations
    urgent = assess(facts(symptoms=(symptom("pneumonia"), symptom("fever"))))
    assert urgent.recommendations == current_rules().recommendations["urgent"]
    assert "seek_care" in urgent.recommendations


@pytest.mark.parametrize(
    ("kwargs", "priority"),
    [
        ({}, 0),
        ({"birth_year": TODAY.year - 64}, 0),
        ({"birth_year": TODAY.year - 65}, 300),
        ({"conditions": frozenset({"diabetes"})}, 200),
        ({"conditions": frozenset({"diabetes", "cancer"})}, 200),
        ({"conditions": frozenset({"not_a_condition"})}, 0),
        ({"pregnant": True}, 200),
        ({"birth_year": 1940, "conditions": frozenset({"stroke"}), "pregnant": True}, 700),
    ],
)
def test_it_raises_priority_for_vulnerable_people(kwargs: dict[str, Any], priority: int) -> None:
    assert assess(facts(**kwargs)).priority == priority
    medium = assess(facts(symptoms=(symptom("cough"),), **kwargs))
    assert medium.priority == 1000 + priority


def test_it_puts_urgent_before_high_before_medium_before_low_whoever_the_person_is() -> None:
    vulnerable: dict[str, Any] = {"birth_year": 1930, "conditions": CONDITION_CODES, "pregnant": True}
    ordered = [
        assess(facts(symptoms=(symptom("pneumonia"), symptom("fever")))),
        assess(facts(exposures=(exposure("contact_confirmed"),), **vulnerable)),
        assess(facts(exposures=(exposure("contact_confirmed"),))),
        assess(facts(symptoms=(symptom("cough"),), **vulnerable)),
        assess(facts(symptoms=(symptom("cough"),))),
        assess(facts(**vulnerable)),
        assess(facts()),
    ]
    assert [a.level for a in ordered] == ["urgent", "high", "high", "medium", "medium", "low", "low"]
    priorities = [a.priority for a in ordered]
    assert priorities == sorted(priorities, reverse=True)
    assert len(set(priorities)) == len(priorities)


def test_it_treats_the_window_as_a_rule_set_parameter() -> None:
    short = dataclasses.replace(current_rules(), window_days=7, monitoring_days=10, version="test.7")
    old_contact = facts(exposures=(exposure("contact_confirmed", 8),))
    assert assess(old_contact).level == "high"
    result = assess(old_contact, rules=short)
    assert (result.level, result.ruleset_version) == ("low", "test.7")
    recent = assess(facts(exposures=(exposure("contact_confirmed", 7),)), rules=short)
    assert (recent.level, recent.monitoring_days, recent.monitoring_until) == ("high", 10, ago(7 - 10))
    with translation.override("en"):
        assert reason_text("high.contact_confirmed", rules=short).endswith("in the last 7 days.")


def test_it_exposes_the_code_lists_and_the_window() -> None:
    assert WINDOW_DAYS == 14
    assert LEVELS == ("low", "medium", "high", "urgent")
    assert "loss_of_taste_smell" in SYMPTOM_CODES
    assert len(SYMPTOM_CODES) == 12
    assert "contact_confirmed" in EXPOSURE_CODES
    assert "venue_exposure" in EXPOSURE_CODES  # rule set 2026.2 (issue 20)
    assert len(EXPOSURE_CODES) == 7
    assert "immunodeficiency" in CONDITION_CODES
    assert "pregnant" not in CONDITION_CODES


def test_it_finds_rule_sets_by_version() -> None:
    assert rules_by_version("2026.2") is current_rules()
    assert rules_by_version("2026.1").version == "2026.1"
    with pytest.raises(LookupError):
        rules_by_version("1999.1")


def test_it_explains_in_plain_words() -> None:
    with translation.override("en"):
        assert reason_text("high.contact_confirmed") == (
            "Close contact with a confirmed COVID-19 case (F0) in the last 14 days."
        )
        hotline = recommendation_text("call_hotline")
        assert "1900 9095" in hotline
        assert "1900 3228" in hotline
        assert "5K" in recommendation_text("five_k")
        assert "health station" in recommendation_text("contact_ward_station")


def test_it_has_a_text_for_every_rule_and_recommendation_of_every_rule_set() -> None:
    from khaibao.risk import texts
    from khaibao.risk.rules import ruleset_versions

    for version in ruleset_versions():
        rules = rules_by_version(version)
        assert rules.rule_ids <= set(texts.REASONS), version
        assert rules.recommendation_codes <= set(texts.RECOMMENDATIONS), version
