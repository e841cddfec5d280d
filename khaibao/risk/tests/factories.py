"""Small builders for risk-engine facts and zones, with dates as "days ago" from TODAY."""

from __future__ import annotations

from datetime import date, timedelta

from khaibao.risk.engine import ExposureFact, Facts, SymptomFact, TravelFact, ZoneFact

TODAY = date(2026, 3, 15)

# Places from the demo world's shape: two provinces, wards in each.
HANOI, HCMC = 1, 79
HOAN_KIEM, BA_DINH, SAI_GON = 70, 4, 26740


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def symptom(code: str, days_ago: int = 0) -> SymptomFact:
    return SymptomFact(code=code, onset=ago(days_ago))


def exposure(code: str, days_ago: int = 0) -> ExposureFact:
    return ExposureFact(code=code, on=ago(days_ago))


def trip(
    start_ago: int,
    end_ago: int | None = None,
    *,
    ward: int | None = None,
    province: int | None = None,
    country: str | None = None,
) -> TravelFact:
    if ward is not None and province is None:
        province = HCMC if ward == SAI_GON else HANOI
    return TravelFact(
        start=ago(start_ago),
        end=ago(start_ago if end_ago is None else end_ago),
        ward_code=ward,
        province_code=province,
        country=country,
    )


def zone(
    zone_id: str = "z1",
    *,
    level: int = 3,
    lockdown: bool = False,
    from_ago: int = 60,
    until_ago: int | None = None,
    wards: tuple[int, ...] = (),
    provinces: tuple[int, ...] = (),
    countries: tuple[str, ...] = (),
) -> ZoneFact:
    return ZoneFact(
        zone_id=zone_id,
        level=level,
        lockdown=lockdown,
        active_from=ago(from_ago),
        active_until=None if until_ago is None else ago(until_ago),
        ward_codes=frozenset(wards),
        province_codes=frozenset(provinces),
        countries=frozenset(countries),
    )


# A red zone around Hoàn Kiếm ward, active for the last 60 days and still active.
RED_HOAN_KIEM = zone("hoan-kiem-red", level=4, wards=(HOAN_KIEM,))


def facts(
    *,
    symptoms: tuple[SymptomFact, ...] = (),
    exposures: tuple[ExposureFact, ...] = (),
    travel: tuple[TravelFact, ...] = (),
    birth_year: int | None = None,
    conditions: frozenset[str] = frozenset(),
    pregnant: bool = False,
    today: date = TODAY,
) -> Facts:
    return Facts(
        today=today,
        birth_year=birth_year,
        symptoms=symptoms,
        exposures=exposures,
        travel=travel,
        conditions=conditions,
        pregnant=pregnant,
    )
