"""The day's flows counted as they come: the rows written since the last run, never the whole day.

Every 30 s the refresh reads the daily updates and declarations of yesterday and today written
since its last run began, less `OVERLAP`; skips those already counted in that version
(`CountedRow`); takes back what a replaced daily update's earlier version added; and adds what each
row adds now. A run's work is the last minutes' rows, not the day's: recounting two whole days every
run (decrypting every update's sealed symptoms) took ~8 s at 100,000 updates a day and would take
~12 minutes at 10 M (bench/RESULTS.md, "Statistics at national size").

A full recount of a day — a backfill, the first run after this was deployed, a clock set back —
is the same counting over all the day's rows from nothing (`since=None`).

What a row adds is a list of rollup keys, +1 each, at (its day, its person's home ward then): the
flow columns of `DailyAreaRollup` ("declarations", "risk_declarations", "daily_updates") and
"s__<code>" for each symptom code reported (`DailyCodeRollup`). A daily update or declaration
deleted later (erasure, retention) keeps its count until its day is recounted, as the statistics
it fed are kept (docs/privacy.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from khaibao.core.days import day_bounds
from khaibao.declarations.models import Declaration, Kind
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.monitoring.assessment import FEVER_FROM
from khaibao.monitoring.models import DailyUpdate
from khaibao.stats.models import CountedRow, CountedSource

# How far before the last run's start the next one reads again. A row is committed within seconds
# of its `updated_at`/`created_at` (the web's statement timeout is 5 s, DB_STATEMENT_TIMEOUT_MS; a
# request queued longer is shed before it writes, core/overload.py); one committed later than this
# after its time would be missed until its day is recounted (`manage.py stats_refresh --date`).
# Rows read again are skipped by their `CountedRow`, so the overlap costs reads, never counts.
OVERLAP: Final = timedelta(minutes=5)

# The base key each source adds; a row's `CountedRow.added` holds only the keys beyond it.
BASE: Final = {CountedSource.DAILY_UPDATE: "daily_updates", CountedSource.DECLARATION: "declarations"}
SYMPTOM_PREFIX: Final = "s__"

# Rows per round trip, and per batch of `CountedRow` lookups and writes.
_CHUNK: Final = 2000

# Per-day, per-ward changes of the rollup keys: {day: {ward_id: Counter(key → ±n)}}.
Deltas = dict[date, dict[int, Counter[str]]]


def symptom_keys(reported: Iterable[str], wanted: frozenset[str], *, fever: bool = False) -> list[str]:
    """The symptom keys a row adds: each code it reports once (a 38.5 °C update with "fever"
    ticked counts one fever, as the risk engine reads it), only the questionnaire's codes."""
    found = {code for code in reported if code in wanted}
    if fever and "fever" in wanted:
        found.add("fever")
    return [SYMPTOM_PREFIX + code for code in sorted(found)]


def update_keys(symptoms: Any, temperature: Decimal | None, wanted: frozenset[str]) -> list[str]:
    fever = temperature is not None and temperature >= FEVER_FROM
    return symptom_keys([c for c in symptoms or [] if isinstance(c, str)], wanted, fever=fever)


def declaration_keys(kind: str, answers: Any, wanted: frozenset[str]) -> list[str]:
    entries = answers.get("symptoms") if isinstance(answers, dict) else None
    codes = [e["code"] for e in entries or [] if isinstance(e, dict) and isinstance(e.get("code"), str)]
    risk = ["risk_declarations"] if kind == Kind.RISK else []
    return risk + symptom_keys(codes, wanted)


def _chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _not_counted(qs: QuerySet[Any], source: str, version: str) -> QuerySet[Any]:
    counted = CountedRow.objects.filter(source=source, row_id=OuterRef("pk"), version=OuterRef(version))
    return qs.exclude(Exists(counted))


class _Counter:
    """The deltas of one run and the `CountedRow`s to write, batch by batch."""

    def __init__(self, *, keep: bool, fresh: bool) -> None:
        self.deltas: Deltas = {}
        self.keep = keep
        self.fresh = fresh  # counting from nothing: no row has an earlier version to take back
        self.rows = 0

    def _add(self, day: date, ward: int | None, keys: Iterable[str], sign: int) -> None:
        if ward is None:
            return
        counts = self.deltas.setdefault(day, {}).setdefault(ward, Counter())
        for key in keys:
            counts[key] += sign

    def batch(self, source: str, rows: list[tuple[int, date, int | None, datetime, list[str]]]) -> None:
        """Count `rows` — (row id, day, ward, version, keys beyond the base) — taking back first
        what the earlier version of any of them added."""
        base = BASE[CountedSource(source)]
        if not self.fresh:
            earlier = CountedRow.objects.filter(source=source, row_id__in=[r[0] for r in rows])
            for old in earlier.only("day", "ward_id", "added"):
                self._add(old.day, old.ward_id, [base, *(old.added or [])], -1)
        for _pk, day, ward, _version, keys in rows:
            self._add(day, ward, [base, *keys], +1)
        self.rows += len(rows)
        if self.keep:
            CountedRow.objects.bulk_create(
                [
                    CountedRow(source=source, row_id=pk, day=day, ward_id=ward, version=version, added=keys or None)
                    for pk, day, ward, version, keys in rows
                ],
                update_conflicts=True,
                unique_fields=["source", "row_id"],
                update_fields=["day", "ward", "version", "added"],
            )


def count_changes(days: Sequence[date], since: datetime | None, *, keep: bool = True) -> tuple[Deltas, int]:
    """What the daily updates and declarations of `days` written at or after `since` (every one
    when None) and not yet counted in their version change in the rollups: (deltas, rows read).

    `keep`: record each in `CountedRow` (yesterday and today, the days later runs count on);
    a backfill of an older day needs no record. `since` None means counting from nothing: the
    caller has `forget()`-ten what was counted on `days`. Call inside the refresh's transaction.
    """
    wanted = frozenset(current_questionnaire().symptoms)
    counter = _Counter(keep=keep, fresh=since is None)

    updates = DailyUpdate.objects.filter(day__in=days)
    if since is not None:
        updates = updates.filter(updated_at__gte=since)
    if since is not None:
        updates = _not_counted(updates, CountedSource.DAILY_UPDATE, "updated_at")
    stream = (
        updates.values_list("pk", "day", "person__home_ward", "updated_at", "symptoms", "temperature")
        .order_by()
        .iterator(chunk_size=_CHUNK)
    )
    for chunk in _chunks(stream):
        counter.batch(
            CountedSource.DAILY_UPDATE,
            [(pk, day, ward, at, update_keys(symptoms, temp, wanted)) for pk, day, ward, at, symptoms, temp in chunk],
        )

    start, end = day_bounds(min(days))[0], day_bounds(max(days))[1]
    declared = Declaration.objects.filter(created_at__gte=max(start, since) if since else start, created_at__lt=end)
    if since is not None:
        declared = _not_counted(declared, CountedSource.DECLARATION, "created_at")
    stream = (
        declared.values_list("pk", "created_at", "person__home_ward", "kind", "answers")
        .order_by()
        .iterator(chunk_size=_CHUNK)
    )
    wanted_days = set(days)
    for chunk in _chunks(stream):
        rows = [
            (pk, timezone.localdate(at), ward, at, declaration_keys(kind, answers, wanted))
            for pk, at, ward, kind, answers in chunk
        ]
        counter.batch(CountedSource.DECLARATION, [r for r in rows if r[1] in wanted_days])
    return counter.deltas, counter.rows


def forget(days: Iterable[date]) -> None:
    """Drop what was recorded as counted on `days`, before they are recounted from nothing."""
    CountedRow.objects.filter(day__in=list(days)).delete()


def prune(before: date, *, limit: int = 20_000) -> int:
    """Drop up to `limit` records of days before `before` (no run counts on them again): a day of
    10 M updates goes in a few hundred runs of the periodic job, never in one long delete."""
    old = CountedRow.objects.filter(day__lt=before).order_by().values("pk")[:limit]
    deleted, _ = CountedRow.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()
    return deleted
