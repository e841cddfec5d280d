"""Refreshing the statistics rollups (DESIGN.md §8: dashboards never count raw rows).

The flows (declarations, daily updates, their symptoms) are counted as they come, from the rows
written since the last run (stats/counting.py); the stocks (people by level, under monitoring,
missed updates) are a snapshot of the latest-status rows, grouped by the database; the follow-up
actions of the day are counted again each run (officials' actions: few). A run writes only the
rollup rows whose numbers changed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from khaibao.cases.models import ActionKind, FollowUpAction
from khaibao.core.days import day_bounds
from khaibao.monitoring.models import Level, PersonStatus
from khaibao.places.models import Ward
from khaibao.stats import counting
from khaibao.stats.models import CodeKind, DailyAreaRollup, DailyCodeRollup, RollupState

logger = logging.getLogger(__name__)

FLOW_COLUMNS = ("declarations", "risk_declarations", "daily_updates")
STOCK_COLUMNS = (
    "people_low", "people_medium", "people_high", "people_urgent", "under_monitoring", "missed_updates",
)


@dataclass(frozen=True)
class RefreshResult:
    day: date
    areas: int  # the day's ward rows after the refresh
    codes: int  # the day's code rows after the refresh
    snapshot: bool  # whether the stock columns were (re)taken
    written: int = 0  # rows created, changed or deleted by this refresh
    counted: int = 0  # raw rows counted (new or changed since the last run), all the run's days together


def _status_counts(day: date) -> dict[int, dict[str, int]]:
    # By the status row's own home ward (kept equal to the person's by the assessment,
    # monitoring/assessment.py), not a join of every person: one pass over one table.
    monitoring = Q(monitoring_until__gte=day) & (Q(monitoring_from__isnull=True) | Q(monitoring_from__lte=day))
    rows = (
        PersonStatus.objects.filter(home_ward__isnull=False)
        .values(ward=F("home_ward"))
        .annotate(
            people_low=Count("pk", filter=Q(level=Level.LOW)),
            people_medium=Count("pk", filter=Q(level=Level.MEDIUM)),
            people_high=Count("pk", filter=Q(level=Level.HIGH)),
            people_urgent=Count("pk", filter=Q(level=Level.URGENT)),
            under_monitoring=Count("pk", filter=monitoring),
            missed_updates=Count("pk", filter=monitoring & Q(missed_days__gte=1)),
        )
        .order_by()
    )
    return {row.pop("ward"): row for row in rows}


def followup_code(kind: str, test_result: str) -> str:
    """The outcome code of an action: its kind, with a test result split by result."""
    if kind == ActionKind.TEST_RESULT and test_result:
        return f"{kind}_{test_result}"
    return kind


def _followup_counts(day: date) -> dict[int, dict[str, int]]:
    """Follow-up actions recorded on `day`, by the person's home ward and outcome code."""
    start, end = day_bounds(day)
    out: dict[int, dict[str, int]] = {}
    rows = (
        FollowUpAction.objects.filter(at__gte=start, at__lt=end)
        .values("kind", "test_result", ward=F("person__home_ward"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        if row["ward"] is not None:
            codes = out.setdefault(row["ward"], {})
            code = followup_code(row["kind"], row["test_result"])
            codes[code] = codes.get(code, 0) + row["n"]
    return out


def _lock_state() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def _write_codes(day: date, kind: str, wanted: dict[tuple[int, str], int], have: dict[tuple[int, str], DailyCodeRollup],
                 provinces: dict[int, int]) -> int:
    """Make the code rows `have` of (ward, code) say `wanted` (absent or 0: no row)."""
    gone = [row.pk for key, row in have.items() if not wanted.get(key)]
    put = [
        DailyCodeRollup(day=day, ward_id=ward, province_id=provinces[ward], kind=kind, code=code, count=n)
        for (ward, code), n in sorted(wanted.items())
        if n and (have.get((ward, code)) is None or have[(ward, code)].count != n)
    ]
    DailyCodeRollup.objects.filter(pk__in=gone).delete()
    DailyCodeRollup.objects.bulk_create(
        put, batch_size=1000, update_conflicts=True, unique_fields=["day", "ward", "kind", "code"], update_fields=["count"],
    )
    return len(gone) + len(put)


def _write_day(
    day: date, delta: dict[int, Counter[str]], stocks: dict[int, dict[str, int]] | None, now: datetime,
) -> RefreshResult:
    """Apply `delta` (flows and symptoms, by ward) to the rollup rows of `day`, put the day's
    follow-up counts and, when given, the stock snapshot in them; write only the rows that change."""
    areas = {row.ward_id: row for row in DailyAreaRollup.objects.filter(day=day)}
    followups = _followup_counts(day)
    wards = set(areas) | set(delta) | set(followups) | set(stocks or ())
    provinces = {w: row.province_id for w, row in areas.items()}
    missing = wards - set(provinces)
    if missing:
        provinces.update(Ward.objects.filter(pk__in=missing).values_list("pk", "province_id"))

    put: list[DailyAreaRollup] = []
    gone: list[int] = []
    kept = 0
    for ward in sorted(wards):
        old = areas.get(ward)
        values = {name: getattr(old, name) if old else 0 for name in (*FLOW_COLUMNS, *STOCK_COLUMNS)}
        for name in FLOW_COLUMNS:
            values[name] = max(0, values[name] + delta.get(ward, Counter())[name])
        if stocks is not None:
            values.update({name: stocks.get(ward, {}).get(name, 0) for name in STOCK_COLUMNS})
        if not any(values.values()) and ward not in followups:
            if old is not None:
                gone.append(old.pk)
            continue
        kept += 1
        if old is not None and all(getattr(old, name) == v for name, v in values.items()):
            continue
        snapshot_at = now if stocks is not None else (old.snapshot_at if old else None)
        put.append(DailyAreaRollup(
            day=day, ward_id=ward, province_id=provinces[ward], **values, snapshot_at=snapshot_at, refreshed_at=now,
        ))
    DailyAreaRollup.objects.filter(pk__in=gone).delete()
    DailyAreaRollup.objects.bulk_create(
        put, batch_size=1000, update_conflicts=True, unique_fields=["day", "ward"],
        update_fields=[*FLOW_COLUMNS, *STOCK_COLUMNS, "snapshot_at", "refreshed_at"],
    )

    # Symptoms: only the wards whose symptom counts moved are read and written.
    moved = {
        (ward, key.removeprefix(counting.SYMPTOM_PREFIX)): n
        for ward, counts in delta.items() for key, n in counts.items()
        if key.startswith(counting.SYMPTOM_PREFIX) and n
    }
    have = {
        (row.ward_id, row.code): row
        for row in DailyCodeRollup.objects.filter(day=day, kind=CodeKind.SYMPTOM, ward__in={w for w, _ in moved})
    }
    wanted = {key: max(0, (have[key].count if key in have else 0) + n) for key, n in moved.items()}
    written = _write_codes(day, CodeKind.SYMPTOM, wanted, {k: v for k, v in have.items() if k in wanted}, provinces)
    have = {(row.ward_id, row.code): row for row in DailyCodeRollup.objects.filter(day=day, kind=CodeKind.FOLLOWUP)}
    wanted = {(ward, code): n for ward, codes in followups.items() for code, n in codes.items()}
    written += _write_codes(day, CodeKind.FOLLOWUP, wanted, have, provinces)
    return RefreshResult(
        day=day, areas=kept, codes=DailyCodeRollup.objects.filter(day=day).count(), snapshot=stocks is not None,
        written=len(put) + len(gone) + written,
    )


def _recount_from_nothing(days: list[date]) -> None:
    """Clear the flows and symptom counts of `days` and what was recorded as counted on them."""
    counting.forget(days)
    DailyAreaRollup.objects.filter(day__in=days).update(**dict.fromkeys(FLOW_COLUMNS, 0))
    DailyCodeRollup.objects.filter(day__in=days, kind=CodeKind.SYMPTOM).delete()


# The stock snapshot is a pass over every status row (0.46 s at 400,000 people, linear: ~2 minutes
# at 100 M). It is taken at most every SNAPSHOT_EVERY, and never more often than SNAPSHOT_PACE times
# its own last duration, so it uses at most a tenth of the worker's time at any size; the page says
# when the people-by-level numbers were taken once they are older than a minute.
SNAPSHOT_EVERY = timedelta(seconds=30)
SNAPSHOT_PACE = 10


def snapshot_due(state: RollupState, now: datetime) -> bool:
    """Whether this refresh takes the stock snapshot of today (always on a new day)."""
    if state.snapshot_at is None or state.snapshot_day != timezone.localdate(now) or state.snapshot_at > now:
        return True
    wait = max(SNAPSHOT_EVERY, timedelta(milliseconds=state.snapshot_ms * SNAPSHOT_PACE))
    return now - state.snapshot_at >= wait


def _stocks(state: RollupState, day: date, now: datetime, *, force: bool) -> dict[int, dict[str, int]] | None:
    if not force and not snapshot_due(state, now):
        return None
    started = time.monotonic()
    stocks = _status_counts(day)
    state.snapshot_at, state.snapshot_day = now, day
    state.snapshot_ms = int((time.monotonic() - started) * 1000)
    return stocks


def _refresh(
    days: list[date], since: datetime | None, now: datetime, state: RollupState, *, keep: bool,
    force_snapshot: bool = False,
) -> list[RefreshResult]:
    today = timezone.localdate(now)
    if since is None:
        _recount_from_nothing(days)
    deltas, counted = counting.count_changes(days, since, keep=keep)
    results = []
    for day in days:
        # The stock columns describe the latest-status rows *now*: taken only for today (when due);
        # a past day keeps the snapshot its last same-day refresh took.
        stocks = _stocks(state, day, now, force=force_snapshot) if day == today else None
        result = _write_day(day, deltas.get(day, {}), stocks, now)
        results.append(RefreshResult(**{**result.__dict__, "counted": counted}))
    state.refreshed_at = now
    return results


# A worker down longer than this (across as many midnights) catches up on this many days before
# today at most, in its first run; the rows of older days stay uncounted until they are recounted
# (`manage.py stats_refresh --date`, logged). Each day more costs its rows read once, in that run.
CATCH_UP_DAYS: Final = 7


def _since(state: RollupState, now: datetime) -> datetime | None:
    """Where the periodic run at `now` reads from; None: it recounts from nothing (the first run,
    or the clock went back)."""
    through = state.counted_through
    return through - counting.OVERLAP if through is not None and through <= now else None


def counted_days(since: datetime | None, now: datetime) -> list[date]:
    """The days a periodic run reading from `since` counts: yesterday and today, and, while `since`
    is before today, each day a row written since may be for. An update is for its day or the day
    before it was written (monitoring/services.py), so a day is written on until its next day
    ends: after midnight the runs whose window still reaches back into yesterday count the day
    before yesterday too — an update for it replaced in the last seconds before midnight, or
    committed after the last run, is taken back and added like any other. After a worker was down
    over days, every day since its last run (at most CATCH_UP_DAYS). An ordinary run: two days."""
    today = timezone.localdate(now)
    first = today - timedelta(days=1)
    if since is not None:
        first = max(min(first, timezone.localdate(since) - timedelta(days=1)), today - timedelta(days=CATCH_UP_DAYS))
    return [first + timedelta(days=n) for n in range((today - first).days + 1)]


def rollup_refresh_day(*, day: date, now: datetime | None = None) -> RefreshResult:
    """Recount the rollup rows of `day` from the raw tables, from nothing, in one transaction.

    Running it twice gives the same rows. Refreshing a past day keeps the stock snapshot its last
    same-day refresh took (it cannot be rebuilt).
    """
    now = now or timezone.now()
    with transaction.atomic():
        state = _lock_state()
        # A day the next periodic run counts keeps its records, or that run would add again the
        # rows it reads from its window.
        keep = day >= counted_days(_since(state, now), now)[0]
        (result,) = _refresh([day], None, now, state, keep=keep, force_snapshot=True)
        state.save()
    return result


def rollup_refresh(*, days: Iterable[date] | None = None, now: datetime | None = None) -> list[RefreshResult]:
    """The periodic refresh (`days` None): yesterday and today (and just after midnight, or after
    the worker was down, the days before: `counted_days`), counting the rows written since the last
    run, in one transaction. Yesterday stays open because late rows land on it: updates for
    yesterday are accepted today. The first run, or a run after the clock went back, recounts
    yesterday and today from nothing.

    With `days` (a backfill, `manage.py stats_refresh`): each day recounted from nothing, one
    transaction per day.
    """
    now = now or timezone.now()
    started = time.monotonic()
    if days is not None:
        results = [rollup_refresh_day(day=day, now=now) for day in days]
    else:
        with transaction.atomic():
            state = _lock_state()
            since = _since(state, now)
            counted = counted_days(since, now)
            if since is not None and timezone.localdate(since) - timedelta(days=1) < counted[0]:
                logger.warning(
                    "stats refresh: the last run was at %s; days before %s were not counted since:"
                    " recount them with manage.py stats_refresh --date", since + counting.OVERLAP, counted[0],
                )
            results = _refresh(counted, since, now, state, keep=True)
            state.counted_through = now
            state.save()
            # Only the records of days the next run (reading from `now` less the overlap) no
            # longer counts: just after midnight, the day before yesterday's stay a minute more.
            counting.prune(counted_days(now - counting.OVERLAP, now)[0])
    RollupState.objects.filter(pk=1).update(duration_ms=int((time.monotonic() - started) * 1000))
    return results
