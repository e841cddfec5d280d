"""The day's flows counted as they come: the rows written since the last run, never the whole day.

Every 30 s the refresh reads the daily updates and declarations of yesterday and today (and of the
day before yesterday while its window reaches back past midnight, or of each day since a worker
down for days last ran: services.counted_days) written since its last run began, less `OVERLAP`;
skips those already counted in that version (`CountedRow`); takes back what a replaced daily
update's earlier version added; and adds what each row adds now. A run's work is the last minutes' rows, not the day's: recounting two whole days every
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

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from khaibao.core.days import day_bounds
from khaibao.declarations.models import Declaration, Kind
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.monitoring.assessment import FEVER_FROM
from khaibao.monitoring.models import DailyUpdate
from khaibao.stats.models import CountedRow, CountedSource

# How far before the last run's start the next one reads again. A row is committed within seconds
# of its `updated_at`/`created_at`: the time is taken just before the one statement that writes it,
# under the web's statement and lock timeouts (5 s and 2 s, DB_STATEMENT_TIMEOUT_MS); a request
# queued longer is shed before it writes (core/overload.py). One committed later than this after
# its time would be missed until its day is recounted (`manage.py stats_refresh --date`). Rows
# read again are skipped by their `CountedRow` version, so the overlap costs reads, never counts —
# ~20 µs a row: each run re-reads the last minute's rows (bench/stats_refresh.py).
OVERLAP: Final = timedelta(seconds=60)

# The base key each source adds; a row's `CountedRow.added` holds only the keys beyond it.
BASE: Final = {CountedSource.DAILY_UPDATE: "daily_updates", CountedSource.DECLARATION: "declarations"}
SYMPTOM_PREFIX: Final = "s__"

# Rows per round trip, and per batch of `CountedRow` lookups and writes.
_CHUNK: Final = 2000

# Per-day, per-ward changes of the rollup keys: {day: {ward_id: Counter(key → ±n)}}.
Deltas = dict[date, dict[int, Counter[str]]]
# A row to count: (row id, day, home ward, version, the keys it adds beyond its base).
Row = tuple[int, date, int | None, datetime, list[str]]


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


class _Counter:
    """The deltas of one run and the `CountedRow`s to write, batch by batch."""

    def __init__(self, *, keep: bool) -> None:
        self.deltas: Deltas = {}
        self.keep = keep
        self.rows = 0

    def _add(self, day: date, ward: int | None, keys: Iterable[str], sign: int) -> None:
        if ward is None:
            return
        counts = self.deltas.setdefault(day, {}).setdefault(ward, Counter())
        for key in keys:
            counts[key] += sign

    def take_back(self, source: str, ids: list[int]) -> None:
        """Take back what the counted versions of `ids` added (rows written again since)."""
        base = BASE[CountedSource(source)]
        earlier = CountedRow.objects.filter(source=source, row_id__in=ids).values_list("day", "ward", "added")
        for day, ward, added in earlier:
            self._add(day, ward, [base, *(added or [])], -1)

    def add(self, source: str, rows: list[Row]) -> None:
        """Count `rows` and record them."""
        base = BASE[CountedSource(source)]
        for _pk, day, ward, _version, keys in rows:
            self._add(day, ward, [base, *keys], +1)
        self.rows += len(rows)
        if self.keep and rows:
            _record(source, rows)


def _record(source: str, rows: list[Row]) -> None:
    """Upsert the `CountedRow`s of `rows` in one statement. By hand rather than bulk_create:
    building a model per row cost ~150 µs of a recount's ~280 µs a row (bench/stats_refresh.py)."""
    field = CountedRow._meta.get_field("added")
    sealed = [field.get_db_prep_save(keys, connection) if keys else None for *_, keys in rows]
    columns = "source, row_id, day, ward_id, version, added"
    conflict = (
        " ON CONFLICT (source, row_id) DO UPDATE SET day = EXCLUDED.day, ward_id = EXCLUDED.ward_id,"
        " version = EXCLUDED.version, added = EXCLUDED.added"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO stats_countedrow ({columns}) SELECT %s, * FROM unnest("  # noqa: S608 - fixed names
                "%s::bigint[], %s::date[], %s::integer[], %s::timestamptz[], %s::text[])" + conflict,
                [source, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], sealed],
            )
        else:
            cursor.executemany(
                f"INSERT INTO stats_countedrow ({columns}) VALUES (%s, %s, %s, %s, %s, %s)" + conflict,  # noqa: S608
                [(source, r[0], r[1], r[2], r[3], value) for r, value in zip(rows, sealed, strict=True)],
            )


def _counted_versions(source: str, ids: list[int]) -> dict[int, datetime]:
    """The versions `ids` were counted in. One array parameter on PostgreSQL: a list of 2,000
    placeholders cost more to send than the index look-ups (bench/stats_refresh.py)."""
    if connection.vendor != "postgresql":
        return dict(CountedRow.objects.filter(source=source, row_id__in=ids).values_list("row_id", "version"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT row_id, version FROM stats_countedrow WHERE source = %s AND row_id = ANY(%s::bigint[])", [source, ids]
        )
        return dict(cursor.fetchall())


def _changed(source: str, candidates: list[tuple[Any, ...]]) -> tuple[list[int], list[int]]:
    """Of (row id, version) pairs read again, those not counted in that version: (all of them,
    those counted in an earlier version). Versions are compared before anything is decrypted."""
    counted = _counted_versions(source, [pk for pk, _ in candidates])
    changed = [pk for pk, version in candidates if counted.get(pk) != version]
    return changed, [pk for pk in changed if pk in counted]


def _update_rows(qs: QuerySet[DailyUpdate], wanted: frozenset[str]) -> Iterator[list[Row]]:
    stream = (
        qs.values_list("pk", "day", "person__home_ward", "updated_at", "symptoms", "temperature")
        .order_by()
        .iterator(chunk_size=_CHUNK)
    )
    for chunk in _chunks(stream):
        yield [(pk, day, ward, at, update_keys(symptoms, temp, wanted)) for pk, day, ward, at, symptoms, temp in chunk]


def _declaration_rows(qs: QuerySet[Declaration], wanted: frozenset[str], days: set[date]) -> Iterator[list[Row]]:
    stream = (
        qs.values_list("pk", "created_at", "person__home_ward", "kind", "answers").order_by().iterator(chunk_size=_CHUNK)
    )
    for chunk in _chunks(stream):
        rows = [
            (pk, timezone.localdate(at), ward, at, declaration_keys(kind, answers, wanted))
            for pk, at, ward, kind, answers in chunk
        ]
        yield [row for row in rows if row[1] in days]


def count_changes(days: Sequence[date], since: datetime | None, *, keep: bool = True) -> tuple[Deltas, int]:
    """What the daily updates and declarations of `days` written at or after `since` (every one
    when None) and not yet counted in their version change in the rollups: (deltas, rows counted).

    `keep`: record each in `CountedRow` (the days later runs count on: services.counted_days);
    a backfill of an older day needs no record. `since` None means counting from nothing: the
    caller has `forget()`-ten what was counted on `days`. Call inside the refresh's transaction.
    """
    wanted = frozenset(current_questionnaire().symptoms)
    counter = _Counter(keep=keep)
    start, end = day_bounds(min(days))[0], day_bounds(max(days))[1]
    updates = DailyUpdate.objects.filter(day__in=days)
    declared = Declaration.objects.filter(created_at__gte=start, created_at__lt=end)
    if since is None:
        for rows in _update_rows(updates, wanted):
            counter.add(CountedSource.DAILY_UPDATE, rows)
        for rows in _declaration_rows(declared, wanted, set(days)):
            counter.add(CountedSource.DECLARATION, rows)
        return counter.deltas, counter.rows

    # Since the last run: ids and versions first (an index range, nothing decrypted), then only the
    # rows not counted in that version — most of an overlap's rows were counted by the last run.
    sources: tuple[tuple[str, QuerySet[Any], str], ...] = (
        (CountedSource.DAILY_UPDATE, updates.filter(updated_at__gte=since), "updated_at"),
        (CountedSource.DECLARATION, declared.filter(created_at__gte=since), "created_at"),
    )
    for source, qs, version in sources:
        for candidates in _chunks(qs.values_list("pk", version).order_by().iterator(chunk_size=_CHUNK)):
            changed, earlier = _changed(source, candidates)
            if earlier:
                counter.take_back(source, earlier)
            if not changed:
                continue
            if source == CountedSource.DAILY_UPDATE:
                batches = _update_rows(updates.filter(pk__in=changed), wanted)
            else:
                batches = _declaration_rows(declared.filter(pk__in=changed), wanted, set(days))
            for rows in batches:
                counter.add(source, rows)
    return counter.deltas, counter.rows


def forget(days: Iterable[date]) -> None:
    """Drop what was recorded as counted on `days`, before they are recounted from nothing."""
    CountedRow.objects.filter(day__in=list(days)).delete()


def prune(before: date, *, limit: int = 20_000) -> int:
    """Drop up to `limit` records of days before `before` (the first day the next run counts; no
    run counts on the older ones again): a day of
    10 M updates goes in a few hundred runs of the periodic job, never in one long delete."""
    old = CountedRow.objects.filter(day__lt=before).order_by().values("pk")[:limit]
    deleted, _ = CountedRow.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()
    return deleted
