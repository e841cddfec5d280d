"""Statistics for an official's jurisdiction, read ONLY from the rollup tables (DESIGN.md §8).

Used by the dashboard page, the stats API and the exports. Every function takes the official
(`user`) and scopes by `accounts.access.jurisdiction_q` — national: everything; province: its
wards; ward: that ward. Anyone else gets ServiceError(status=403).

The rollup readers run under `use_replica()`: with a read replica configured they read from it
(khaibao/core/dbrouter.py decides when that is safe).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import ScopeLevel
from khaibao.cases.models import ActionKind
from khaibao.core.dbrouter import use_replica
from khaibao.core.errors import ServiceError
from khaibao.core.params import dates_in_range
from khaibao.people.access import jurisdiction_q
from khaibao.places.models import Province, Ward
from khaibao.stats.models import CodeKind, DailyAreaRollup, DailyCodeRollup, RollupState

DEFAULT_DAYS = 14
MAX_DAYS = 366
LEVELS = ("low", "medium", "high", "urgent")
FLOW_COLUMNS = ("declarations", "risk_declarations", "daily_updates")
STOCK_COLUMNS = (
    "people_low", "people_medium", "people_high", "people_urgent", "under_monitoring", "missed_updates",
)
TOP_SYMPTOMS = 10
TREND_SYMPTOMS = 5


@dataclass(frozen=True)
class Freshness:
    refreshed_at: datetime | None  # None: the rollups were never refreshed
    lag_seconds: int | None
    snapshot_day: date | None
    # When the people-by-level numbers were taken (they pace themselves: stats/services.py).
    snapshot_at: datetime | None = None
    snapshot_lag_seconds: int | None = None


@dataclass(frozen=True)
class DayCounts:
    day: date
    declarations: int
    risk_declarations: int
    daily_updates: int


@dataclass(frozen=True)
class Summary:
    date_from: date
    date_to: date
    series: list[DayCounts]  # one entry per day of the range, oldest first, zeros included
    declarations: int  # totals over the range
    risk_declarations: int
    daily_updates: int
    # Current totals: the snapshot of `totals_day` (the range's last day, or the latest day
    # snapshotted when the range reaches today).
    totals_day: date | None
    people_by_level: dict[str, int]  # "low" | "medium" | "high" | "urgent" → people
    under_monitoring: int
    missed_updates: int
    outcomes: dict[str, int]  # follow-up action kind → actions recorded over the range
    top_symptoms: list[tuple[str, int]]  # (code, reports over the range), most reported first
    symptom_series: dict[str, list[int]]  # the top few codes → one count per day of `series`
    freshness: Freshness = field(default_factory=lambda: Freshness(None, None, None))


@dataclass(frozen=True)
class AreaRow:
    code: int  # ward code, or province code for a national official
    name: str
    declarations: int = 0
    risk_declarations: int = 0
    daily_updates: int = 0
    people_low: int = 0
    people_medium: int = 0
    people_high: int = 0
    people_urgent: int = 0
    under_monitoring: int = 0
    missed_updates: int = 0


def _scope(user: Any) -> Q:
    q = jurisdiction_q(user, ward_field="ward") if user is not None and user.is_authenticated else None
    if q is None:
        raise ServiceError(_("Only health officials can see statistics."), code="forbidden", status=403)
    return q


def stats_range(date_from: date | None, date_to: date | None, *, today: date | None = None) -> tuple[date, date]:
    """The date range asked for, with defaults (the last 14 days up to today), or ServiceError
    with field messages under "from" / "to" when it is backwards, longer than 366 days or out of
    the dates anything speaks of (core.params)."""
    dates_in_range(**{"from": date_from, "to": date_to})
    today = today or timezone.localdate()
    date_to = date_to or today
    date_from = date_from or date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to:
        raise ServiceError(
            _("The date range is not valid."),
            fields={"from": _("The start date must be on or before the end date.")},
        )
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise ServiceError(
            _("The date range is not valid."),
            fields={"to": _("Choose at most %(days)d days.") % {"days": MAX_DAYS}},
        )
    return date_from, date_to


@use_replica()
def rollup_freshness(*, now: datetime | None = None) -> Freshness:
    """When the rollups were last refreshed and how many seconds ago (the lag on the page)."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.refreshed_at is None:
        return Freshness(None, None, None)
    now = now or timezone.now()
    snapshot_lag = None if state.snapshot_at is None else max(0, int((now - state.snapshot_at).total_seconds()))
    return Freshness(
        state.refreshed_at, max(0, int((now - state.refreshed_at).total_seconds())), state.snapshot_day,
        state.snapshot_at, snapshot_lag,
    )


def _day_series(scope: Q, in_range: Q, days: list[date]) -> list[DayCounts]:
    """The flow columns summed per day, zeros for days without rows (one query)."""
    per_day = {
        row["day"]: row
        for row in DailyAreaRollup.objects.filter(scope, in_range)
        .values("day")
        .annotate(**{name: Sum(name) for name in FLOW_COLUMNS})
        .order_by()
    }
    return [DayCounts(day, *(int((per_day.get(day) or {}).get(name) or 0) for name in FLOW_COLUMNS)) for day in days]


def _code_counts(scope: Q, in_range: Q) -> tuple[dict[str, dict[date, int]], dict[str, int]]:
    """Symptom counts per code and day, follow-up outcome counts per code (one query)."""
    symptoms: dict[str, dict[date, int]] = {}
    outcomes: dict[str, int] = {}
    for row in (
        DailyCodeRollup.objects.filter(scope, in_range).values("kind", "code", "day").annotate(n=Sum("count")).order_by()
    ):
        if row["kind"] == CodeKind.SYMPTOM:
            symptoms.setdefault(row["code"], {})[row["day"]] = row["n"]
        else:
            outcomes[row["code"]] = outcomes.get(row["code"], 0) + row["n"]
    return symptoms, outcomes


@use_replica()
def summary(user: Any, date_from: date, date_to: date) -> Summary:
    """Per-day declarations and updates over [date_from, date_to] and the current totals for
    `user`'s jurisdiction — four queries whatever the number of people or wards.

    The range is taken as given: validate it with `stats_range` first.
    """
    scope = _scope(user)
    freshness = rollup_freshness()
    in_range = Q(day__gte=date_from, day__lte=date_to)

    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    series = _day_series(scope, in_range, days)

    # Past days carry the snapshot of their own last refresh; today's is the latest one.
    totals_day = date_to
    if freshness.snapshot_day is not None and freshness.snapshot_day < date_to:
        totals_day = freshness.snapshot_day
    stocks = DailyAreaRollup.objects.filter(scope, day=totals_day).aggregate(
        **{name: Sum(name) for name in STOCK_COLUMNS}
    )

    symptoms, outcomes = _code_counts(scope, in_range)
    top = sorted(((code, sum(by_day.values())) for code, by_day in symptoms.items()), key=lambda t: (-t[1], t[0]))

    return Summary(
        date_from=date_from,
        date_to=date_to,
        series=series,
        declarations=sum(d.declarations for d in series),
        risk_declarations=sum(d.risk_declarations for d in series),
        daily_updates=sum(d.daily_updates for d in series),
        totals_day=totals_day if freshness.refreshed_at is not None else None,
        people_by_level={level: int(stocks[f"people_{level}"] or 0) for level in LEVELS},
        under_monitoring=int(stocks["under_monitoring"] or 0),
        missed_updates=int(stocks["missed_updates"] or 0),
        outcomes=dict(sorted(outcomes.items(), key=lambda t: (-t[1], t[0]))),
        top_symptoms=top[:TOP_SYMPTOMS],
        symptom_series={code: [symptoms[code].get(day, 0) for day in days] for code, _n in top[:TREND_SYMPTOMS]},
        freshness=freshness,
    )


def area_level(user: Any) -> str:
    """"province" when `user` sees the whole country (rows per province), else "ward"."""
    _scope(user)
    return "province" if user.scope_level == ScopeLevel.NATIONAL else "ward"


@use_replica()
def by_area(user: Any, day: date) -> list[AreaRow]:
    """The numbers of `day` per area of `user`'s jurisdiction, ordered by code: per ward for a
    province or ward official, per province for a national one. Every area of the jurisdiction
    has a row (zeros when it had no activity) — two queries."""
    scope = _scope(user)
    columns = {name: Sum(name) for name in (*FLOW_COLUMNS, *STOCK_COLUMNS)}
    rows = DailyAreaRollup.objects.filter(scope, day=day)
    if area_level(user) == "province":
        names = dict(Province.objects.values_list("code", "name"))
        sums = {r.pop("province"): r for r in rows.values("province").annotate(**columns).order_by()}
    else:
        # Names only (no health data): the wards jurisdiction_q covers, zero rows included.
        wards = Ward.objects.filter(
            Q(pk=user.scope_ward_id) if user.scope_level == ScopeLevel.WARD else Q(province_id=user.scope_province_id)
        )
        names = dict(wards.values_list("code", "name"))
        sums = {r.pop("ward"): r for r in rows.values("ward").annotate(**columns).order_by()}
    return [
        AreaRow(code=code, name=name, **{k: int(v or 0) for k, v in (sums.get(code) or {}).items()})
        for code, name in sorted(names.items())
    ]


def outcome_label(code: str) -> str:
    """Plain words for a follow-up outcome code (an action kind, or a test result by result)."""
    extra = {
        "test_result_positive": _("Test result: positive"),
        "test_result_negative": _("Test result: negative"),
    }
    if code in extra:
        return extra[code]
    return str(ActionKind(code).label) if code in ActionKind.values else code
