"""Refreshing the statistics rollups from the raw tables (DESIGN.md §8).

Every count is one query over one day's rows. The counts the database can make (GROUP BY home
ward) it makes; the symptom counts it cannot, because the answers are sealed (issue 18,
docs/privacy.md): those rows are streamed (home ward + sealed symptoms, temperature) and counted
here as they are decrypted — about 2 µs of CPU per value, measured in bench/RESULTS.md
("Sealed health data").
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from khaibao.cases.models import ActionKind, FollowUpAction
from khaibao.core.days import day_bounds
from khaibao.declarations.models import Declaration, Kind
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.monitoring.assessment import FEVER_FROM
from khaibao.monitoring.models import DailyUpdate, Level, PersonStatus
from khaibao.places.models import Ward
from khaibao.stats.models import CodeKind, DailyAreaRollup, DailyCodeRollup, RollupState

FLOW_COLUMNS = ("declarations", "risk_declarations", "daily_updates")
STOCK_COLUMNS = (
    "people_low", "people_medium", "people_high", "people_urgent", "under_monitoring", "missed_updates",
)


@dataclass(frozen=True)
class RefreshResult:
    day: date
    areas: int  # ward rows written
    codes: int  # code rows written
    snapshot: bool  # whether the stock columns were (re)taken


# Rows streamed per round trip when counting sealed symptoms.
_CHUNK = 5000


def _by_ward(rows: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row.pop("ward"): row for row in rows if row["ward"] is not None}


def _count_symptoms(
    out: dict[int, dict[str, Any]], ward: int | None, reported: Iterable[str], codes: frozenset[str],
    *, fever: bool = False,
) -> None:
    # Each row counts once per code it reports (a daily update with a fever of 38.5 °C and
    # "fever" ticked counts one fever), as the grouped SQL counts did before the answers were sealed.
    if ward is None:
        return
    found = {code for code in reported if code in codes}
    if fever and "fever" in codes:
        found.add("fever")
    counts = out.setdefault(ward, {})
    for code in found:
        counts[f"s__{code}"] = counts.get(f"s__{code}", 0) + 1


def _declared_symptoms(answers: Any) -> list[str]:
    entries = answers.get("symptoms") if isinstance(answers, dict) else None
    return [e["code"] for e in entries or [] if isinstance(e, dict) and isinstance(e.get("code"), str)]


def _declaration_counts(day: date, codes: tuple[str, ...]) -> dict[int, dict[str, Any]]:
    start, end = day_bounds(day)
    rows = Declaration.objects.filter(created_at__gte=start, created_at__lt=end)
    out = _by_ward(
        rows.values(ward=F("person__home_ward"))
        .annotate(declarations=Count("pk"), risk_declarations=Count("pk", filter=Q(kind=Kind.RISK)))
        .order_by()
    )
    wanted = frozenset(codes)
    for ward, answers in rows.values_list("person__home_ward", "answers").order_by().iterator(chunk_size=_CHUNK):
        _count_symptoms(out, ward, _declared_symptoms(answers), wanted)
    return out


def _update_counts(day: date, codes: tuple[str, ...]) -> dict[int, dict[str, Any]]:
    rows = DailyUpdate.objects.filter(day=day)
    out = _by_ward(rows.values(ward=F("person__home_ward")).annotate(daily_updates=Count("pk")).order_by())
    wanted = frozenset(codes)
    stream = rows.values_list("person__home_ward", "symptoms", "temperature").order_by().iterator(chunk_size=_CHUNK)
    for ward, symptoms, temperature in stream:
        fever = temperature is not None and temperature >= FEVER_FROM
        _count_symptoms(out, ward, symptoms or [], wanted, fever=fever)
    return out


def _status_counts(day: date) -> dict[int, dict[str, Any]]:
    monitoring = Q(monitoring_until__gte=day) & (Q(monitoring_from__isnull=True) | Q(monitoring_from__lte=day))
    return _by_ward(
        PersonStatus.objects.values(ward=F("person__home_ward"))
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


def rollup_refresh_day(*, day: date, now: datetime | None = None) -> RefreshResult:
    """Recompute the rollup rows of `day` from the raw tables, in one transaction.

    Rewrites every row of that day (wards whose numbers dropped to zero lose their row), so
    running it twice gives the same rows. The stock columns (people by level, monitoring,
    missed updates) describe the latest-status rows *now*: they are taken only when `day` is
    today; refreshing a past day keeps the snapshot its last same-day refresh took.
    """
    now = now or timezone.now()
    snapshot = day == timezone.localdate(now)
    codes = current_questionnaire().symptoms
    with transaction.atomic():
        state = _lock_state()
        declared = _declaration_counts(day, codes)
        updated = _update_counts(day, codes)
        followups = _followup_counts(day)
        if snapshot:
            stocks = _status_counts(day)
            stocks_at: dict[int, datetime | None] = {}
        else:
            stocks, stocks_at = {}, {}
            kept = DailyAreaRollup.objects.filter(day=day, snapshot_at__isnull=False).values(
                "ward_id", "snapshot_at", *STOCK_COLUMNS
            )
            for row in kept:
                ward_id = row.pop("ward_id")
                stocks_at[ward_id] = row.pop("snapshot_at")
                stocks[ward_id] = row

        ward_ids = set(declared) | set(updated) | set(followups) | set(stocks)
        provinces = dict(Ward.objects.filter(pk__in=ward_ids).values_list("pk", "province_id"))
        areas: list[DailyAreaRollup] = []
        code_rows: list[DailyCodeRollup] = []
        for ward_id in sorted(ward_ids):
            d, u, s = declared.get(ward_id, {}), updated.get(ward_id, {}), stocks.get(ward_id, {})
            values = {
                "declarations": d.get("declarations", 0),
                "risk_declarations": d.get("risk_declarations", 0),
                "daily_updates": u.get("daily_updates", 0),
                **{name: s.get(name, 0) for name in STOCK_COLUMNS},
            }
            common = {"day": day, "ward_id": ward_id, "province_id": provinces[ward_id]}
            for code in codes:
                n = d.get(f"s__{code}", 0) + u.get(f"s__{code}", 0)
                if n:
                    code_rows.append(DailyCodeRollup(**common, kind=CodeKind.SYMPTOM, code=code, count=n))
            for kind, n in sorted(followups.get(ward_id, {}).items()):
                code_rows.append(DailyCodeRollup(**common, kind=CodeKind.FOLLOWUP, code=kind, count=n))
            if any(values.values()) or ward_id in followups:
                areas.append(
                    DailyAreaRollup(**common, **values, snapshot_at=now if snapshot else stocks_at.get(ward_id), refreshed_at=now)
                )

        DailyAreaRollup.objects.filter(day=day).delete()
        DailyCodeRollup.objects.filter(day=day).delete()
        DailyAreaRollup.objects.bulk_create(areas, batch_size=1000)
        DailyCodeRollup.objects.bulk_create(code_rows, batch_size=1000)
        state.refreshed_at = now
        if snapshot:
            state.snapshot_day = day
        state.save()
    return RefreshResult(day=day, areas=len(areas), codes=len(code_rows), snapshot=snapshot)


def rollup_refresh(*, days: Iterable[date] | None = None, now: datetime | None = None) -> list[RefreshResult]:
    """Refresh the rollups of `days` (default: yesterday and today), one transaction per day.

    Yesterday is redone because late rows land on it: updates for yesterday are accepted
    today, and a refresh may have missed the last seconds before midnight.
    """
    now = now or timezone.now()
    started = time.monotonic()
    if days is None:
        today = timezone.localdate(now)
        days = [today - timedelta(days=1), today]
    results = [rollup_refresh_day(day=day, now=now) for day in days]
    RollupState.objects.filter(pk=1).update(duration_ms=int((time.monotonic() - started) * 1000))
    return results
