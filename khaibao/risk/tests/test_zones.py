"""Travel in an epidemic zone: place matching, zone levels, lockdown and the dates a zone was active."""

from __future__ import annotations

import pytest

from khaibao.risk.engine import TravelFact, ZoneFact, assess
from khaibao.risk.tests.factories import (
    BA_DINH,
    HANOI,
    HCMC,
    HOAN_KIEM,
    RED_HOAN_KIEM,
    SAI_GON,
    TODAY,
    ago,
    facts,
    trip,
    zone,
)
from khaibao.risk.zones import zone_facts_for, zone_register, zone_registry_clear, zones_registered


def level_after(travel: TravelFact, zones: list[ZoneFact]) -> str:
    return assess(facts(travel=(travel,)), zones=zones).level


@pytest.mark.parametrize(
    ("travel", "zone_", "level"),
    [
        pytest.param(trip(3, ward=HOAN_KIEM), zone(wards=(HOAN_KIEM,)), "medium", id="same ward"),
        pytest.param(trip(3, ward=BA_DINH), zone(wards=(HOAN_KIEM,)), "low", id="other ward"),
        pytest.param(trip(3, ward=HOAN_KIEM), zone(provinces=(HANOI,)), "medium", id="ward inside a province zone"),
        pytest.param(trip(3, province=HANOI), zone(provinces=(HANOI,)), "medium", id="province-wide entry"),
        pytest.param(trip(3, ward=SAI_GON), zone(provinces=(HANOI,)), "low", id="ward of another province"),
        pytest.param(trip(3, province=HANOI), zone(wards=(HOAN_KIEM,)), "low",
                     id="province-wide entry does not match a ward zone"),
        pytest.param(trip(3, country="KR"), zone(countries=("KR",)), "medium", id="country"),
        pytest.param(trip(3, country="kr"), zone(countries=("KR",)), "medium", id="country in lower case"),
        pytest.param(trip(3, country="JP"), zone(countries=("KR",)), "low", id="other country"),
    ],
)
def test_it_matches_the_place_of_a_trip(travel: TravelFact, zone_: ZoneFact, level: str) -> None:
    assert level_after(travel, [zone_]) == level


@pytest.mark.parametrize(
    ("level", "lockdown", "expected"),
    [(1, False, "low"), (1, True, "medium"), (2, False, "medium"), (3, False, "medium"), (4, True, "medium")],
)
def test_it_counts_zones_of_level_two_or_more_or_under_lockdown(level: int, lockdown: bool, expected: str) -> None:
    assert level_after(trip(2, ward=HOAN_KIEM), [zone(level=level, lockdown=lockdown, wards=(HOAN_KIEM,))]) == expected


@pytest.mark.parametrize(
    ("travel", "zone_", "level"),
    [
        pytest.param(trip(10, 8, ward=HOAN_KIEM), zone(from_ago=7, wards=(HOAN_KIEM,)), "low",
                     id="zone declared after the trip"),
        pytest.param(trip(10, 7, ward=HOAN_KIEM), zone(from_ago=7, wards=(HOAN_KIEM,)), "medium",
                     id="zone declared on the last day of the trip"),
        pytest.param(trip(10, 8, ward=HOAN_KIEM), zone(from_ago=30, until_ago=11, wards=(HOAN_KIEM,)), "low",
                     id="zone lifted before the trip"),
        pytest.param(trip(10, 8, ward=HOAN_KIEM), zone(from_ago=30, until_ago=10, wards=(HOAN_KIEM,)), "medium",
                     id="zone lifted on the first day of the trip"),
        pytest.param(trip(20, 14, ward=HOAN_KIEM), RED_HOAN_KIEM, "medium", id="trip ended at the window's edge"),
        pytest.param(trip(20, 15, ward=HOAN_KIEM), RED_HOAN_KIEM, "low", id="trip ended one day beyond the window"),
        pytest.param(trip(10, 8, ward=HOAN_KIEM), zone(from_ago=30, until_ago=15, wards=(HOAN_KIEM,)), "low",
                     id="zone lifted before the window"),
        pytest.param(trip(-1, -3, ward=HOAN_KIEM), RED_HOAN_KIEM, "low", id="trip in the future"),
        pytest.param(trip(2, -5, ward=HOAN_KIEM), RED_HOAN_KIEM, "medium", id="trip still going on"),
        pytest.param(trip(2, -5, ward=HOAN_KIEM), zone(from_ago=-1, wards=(HOAN_KIEM,)), "low",
                     id="zone starting tomorrow"),
    ],
)
def test_it_needs_the_zone_active_while_the_person_was_there(travel: TravelFact, zone_: ZoneFact, level: str) -> None:
    assert level_after(travel, [zone_]) == level


def test_it_uses_the_zone_version_active_at_the_time_of_the_trip() -> None:
    yellow_before = zone("hk", level=1, from_ago=60, until_ago=6, wards=(HOAN_KIEM,))
    red_after = zone("hk", level=4, from_ago=5, wards=(HOAN_KIEM,))
    assert level_after(trip(9, 7, ward=HOAN_KIEM), [yellow_before, red_after]) == "low"
    assert level_after(trip(9, 5, ward=HOAN_KIEM), [yellow_before, red_after]) == "medium"


def test_it_finds_the_zone_among_several_trips_and_zones() -> None:
    travel = (trip(12, 11, province=HCMC), trip(6, 4, ward=HOAN_KIEM), trip(3, country="TH"))
    zones = [zone("th", level=1, countries=("TH",)), zone("hk", level=3, wards=(HOAN_KIEM,))]
    result = assess(facts(travel=travel), zones=zones)
    assert (result.level, result.reasons) == ("medium", ("medium.zone_travel",))
    assert result.monitoring_until == ago(4 - 14)


# The seam (zones.py): the zones app's versions (an empty database here) plus the test registry.


@pytest.mark.django_db
def test_it_answers_no_zones_from_an_empty_registry() -> None:
    assert zone_facts_for([trip(3, ward=HOAN_KIEM)], TODAY) == []


@pytest.mark.django_db
def test_it_returns_only_registered_zones_overlapping_the_trips() -> None:
    hk = zone("hk", wards=(HOAN_KIEM,))
    hk_old = zone("hk", level=1, from_ago=90, until_ago=61, wards=(HOAN_KIEM,))
    sg = zone("sg", wards=(SAI_GON,))
    kr = zone("kr", level=1, countries=("KR",))
    with zones_registered(sg, hk, hk_old, kr):
        found = zone_facts_for([trip(3, ward=HOAN_KIEM), trip(5, country="KR")], TODAY)
        assert found == [hk, kr]  # level 1 is kept: the rule set decides which levels count
        assert assess(facts(travel=(trip(3, ward=HOAN_KIEM),)), zones=found).level == "medium"
    assert zone_facts_for([trip(3, ward=HOAN_KIEM)], TODAY) == []


@pytest.mark.django_db
def test_it_registers_and_clears_zones() -> None:
    try:
        zone_register(RED_HOAN_KIEM)
        assert zone_facts_for([trip(1, ward=HOAN_KIEM)], TODAY) == [RED_HOAN_KIEM]
    finally:
        zone_registry_clear()
    assert zone_facts_for([trip(1, ward=HOAN_KIEM)], TODAY) == []
