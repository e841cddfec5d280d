"""Statistics for health officials (issue 4, item 7): read from the rollup tables only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut
from khaibao.declarations.labels import SYMPTOM_LABELS, label
from khaibao.stats import selectors

router = Router(tags=["statistics"])


class RangeQuery(Schema):
    date_from: date | None = Field(None, alias="from", description="first day, YYYY-MM-DD (default: 13 days before `to`)")
    date_to: date | None = Field(None, alias="to", description="last day, YYYY-MM-DD (default: today); at most 366 days")


class DayQuery(Schema):
    day: date | None = Field(None, alias="date", description="YYYY-MM-DD (default: today)")


class DayOut(Schema):
    day: date
    declarations: int
    risk_declarations: int
    daily_updates: int


class TotalsOut(Schema):
    declarations: int
    risk_declarations: int
    daily_updates: int


class CurrentOut(Schema):
    day: date | None = Field(..., description="the day whose snapshot these numbers are (null before any refresh)")
    people_by_level: dict[str, int]
    under_monitoring: int
    missed_updates: int


class CodeCountOut(Schema):
    code: str
    label: str = Field(..., description="the symptom's name, beside its code")
    count: int


class SummaryOut(Schema):
    date_from: date = Field(..., alias="from")
    date_to: date = Field(..., alias="to")
    refreshed_at: datetime | None
    lag_seconds: int | None = Field(..., description="seconds since the rollups were refreshed")
    snapshot_at: datetime | None = Field(
        None, description="when the people-by-level and monitoring numbers were taken (they pace themselves; may be minutes old)"
    )
    series: list[DayOut]
    totals: TotalsOut
    current: CurrentOut
    outcomes: dict[str, int] = Field(..., description="follow-up action kind → actions recorded in the range")
    outcome_labels: dict[str, str] = Field(..., description="each follow-up action kind of `outcomes` → its name")
    top_symptoms: list[CodeCountOut]
    symptom_trends: dict[str, list[int]] = Field(..., description="top symptom codes → one count per day of `series`")


class AreaOut(Schema):
    code: int
    name: str
    declarations: int
    risk_declarations: int
    daily_updates: int
    people_low: int
    people_medium: int
    people_high: int
    people_urgent: int
    under_monitoring: int
    missed_updates: int


class ByAreaOut(Schema):
    day: date = Field(..., alias="date")
    level: str = Field(..., description='"ward" (province or ward official) or "province" (national)')
    refreshed_at: datetime | None
    lag_seconds: int | None
    snapshot_at: datetime | None = Field(None, description="when the people-by-level numbers were taken")
    rows: list[AreaOut]


@router.get("/summary", response={200: SummaryOut, 400: ErrorOut, 403: ErrorOut}, by_alias=True)
def summary(request: AuthedRequest, query: Query[RangeQuery]) -> dict[str, Any]:
    """Per-day declarations and daily updates, and the current totals, for the official's jurisdiction."""
    user = request.auth
    date_from, date_to = selectors.stats_range(query.date_from, query.date_to)
    data = selectors.summary(user, date_from, date_to)
    return {
        "from": data.date_from,
        "to": data.date_to,
        "refreshed_at": data.freshness.refreshed_at,
        "lag_seconds": data.freshness.lag_seconds,
        "snapshot_at": data.freshness.snapshot_at,
        "series": data.series,
        "totals": data,
        "current": {
            "day": data.totals_day,
            "people_by_level": data.people_by_level,
            "under_monitoring": data.under_monitoring,
            "missed_updates": data.missed_updates,
        },
        "outcomes": data.outcomes,
        "outcome_labels": {code: str(selectors.outcome_label(code)) for code in data.outcomes},
        "top_symptoms": [
            {"code": code, "label": label(SYMPTOM_LABELS, code), "count": n} for code, n in data.top_symptoms
        ],
        "symptom_trends": data.symptom_series,
    }


@router.get("/by-area", response={200: ByAreaOut, 400: ErrorOut, 403: ErrorOut}, by_alias=True)
def by_area(request: AuthedRequest, query: Query[DayQuery]) -> dict[str, Any]:
    """One day's numbers per ward (province and ward officials) or per province (national)."""
    user = request.auth
    day = query.day or timezone.localdate()
    rows = selectors.by_area(user, day)
    freshness = selectors.rollup_freshness()
    return {
        "date": day,
        "level": selectors.area_level(user),
        "refreshed_at": freshness.refreshed_at,
        "lag_seconds": freshness.lag_seconds,
        "snapshot_at": freshness.snapshot_at,
        "rows": rows,
    }
