"""Range partitions by month or by day on PostgreSQL: the one owner of their mechanics.

A table described by a `PartitionedTable` is partitioned by RANGE on a date column, one partition
per period (`<table>_y2026m11` for a month, `<table>_y2026m11d05` for a day) plus a DEFAULT
partition that catches any date no period partition covers, so an insert never fails for want
of a partition. This module converts a table (`table_partition`, for a migration), lists its
partitions, creates them ahead (moving rows the default partition already holds for the new
range) and drops those wholly before the retention horizon — each drop one transaction in which
the table's `on_drop` hook clears dependent rows and writes the audit event (core cannot import
audit: the owning app passes its hook).

Users: `monitoring_dailyupdate` by month (monitoring/partitions.py), `venues_checkin` by day
(venues/partitions.py). docs/scaling.md, "Partitions".

The primary key is (id, <column>) at the SQL level because PostgreSQL requires every unique
index of a partitioned table to contain the partition key; Django keeps `id` as the model's
primary key, which stays unique because every id comes from the parent's one identity sequence.
Nothing may hold a foreign key to such a table (`id` alone has no unique index).

SQLite keeps plain tables: every function here does nothing there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

logger = logging.getLogger(__name__)

Period = Literal["month", "day"]

# The job must never queue behind a long query holding the table and so stall the hot path
# behind it: it gives up and tries again at its next run.
LOCK_TIMEOUT = "5s"


def period_start(period: Period, day: date) -> date:
    """The first day of the period holding `day`."""
    return day.replace(day=1) if period == "month" else day


def period_add(period: Period, start: date, n: int) -> date:
    """The start of the period `n` periods after the one starting at `start` (n may be < 0)."""
    if period == "day":
        return start + timedelta(days=n)
    index = start.year * 12 + start.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, period: Period, start: date) -> str:
    if period == "month":
        return f"{table}_y{start.year:04d}m{start.month:02d}"
    return f"{table}_y{start.year:04d}m{start.month:02d}d{start.day:02d}"


def _name_pattern(table: str, period: Period) -> re.Pattern[str]:
    tail = r"_y(\d{4})m(\d{2})" + (r"d(\d{2})" if period == "day" else "")
    return re.compile(f"^{re.escape(table)}{tail}$")


@dataclass(frozen=True)
class Partition:
    name: str
    start: date | None  # the first day of its period; None for the default partition
    rows_estimate: int


@dataclass(frozen=True)
class DroppedPartition:
    """What an `on_drop` hook is told, inside the drop's transaction, before the drop."""

    table: str
    name: str
    start: date
    end: date  # exclusive
    rows: int
    horizon: date


@dataclass(frozen=True)
class PartitionedTable:
    """A table partitioned by RANGE on a date `column`, one partition per `period`.

    `keep_from(today)` is the retention horizon: the first day still kept; a partition whose
    every day is before it is dropped. `on_drop(cursor, dropped)` runs in the drop's
    transaction while the partition still exists (dependent rows, the audit event).
    """

    table: str
    period: Period
    keep_from: Callable[[date], date]
    on_drop: Callable[[CursorWrapper, DroppedPartition], None] | None = None
    column: str = "day"

    @property
    def default_name(self) -> str:
        return f"{self.table}_default"

    def start_of(self, day: date) -> date:
        return period_start(self.period, day)

    def add(self, start: date, n: int) -> date:
        return period_add(self.period, start, n)

    def name_of(self, day: date) -> str:
        """The name of the partition holding `day`."""
        return partition_name(self.table, self.period, self.start_of(day))

    def is_partitioned(self) -> bool:
        """True when the table is a partitioned table (PostgreSQL after its migration)."""
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as cursor:
            cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [self.table])
            row = cursor.fetchone()
        return row is not None and row[0] == "p"

    def partitions(self) -> list[Partition]:
        """The attached partitions, periods in order, the default last (empty on SQLite)."""
        if not self.is_partitioned():
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT c.relname, c.reltuples::bigint
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = to_regclass(%s)
                """,
                [self.table],
            )
            rows = cursor.fetchall()
        pattern = _name_pattern(self.table, self.period)
        found = []
        for name, tuples in rows:
            match = pattern.match(name)
            start = date(*(int(g) for g in match.groups()), *([1] if self.period == "month" else [])) if match else None
            found.append(Partition(name=name, start=start, rows_estimate=max(0, int(tuples))))
        return sorted(found, key=lambda p: (p.start is None, p.start or date.min, p.name))

    def _attach(self, cursor: CursorWrapper, start: date) -> bool:
        """Create and attach the partition of the period starting at `start`; False when it exists.

        Rows of that period already in the default partition (a job that did not run for a
        while) are moved into the new partition first: attaching checks that the default holds
        none of the new range, and refuses otherwise.
        """
        name = partition_name(self.table, self.period, start)
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:
            return False
        low, high = start.isoformat(), self.add(start, 1).isoformat()
        table, default, column = self.table, self.default_name, self.column
        # A standalone table attached afterwards: ATTACH PARTITION takes a weaker lock on the
        # parent than CREATE TABLE … PARTITION OF, so writes keep flowing while it runs.
        cursor.execute(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [default])
        if cursor.fetchone()[0]:
            # Identifiers are the description's own names (no input reaches them); values are parameters.
            cursor.execute(
                f'WITH moved AS (DELETE FROM "{default}" WHERE "{column}" >= %s AND "{column}" < %s RETURNING *) '  # noqa: S608
                f'INSERT INTO "{name}" SELECT * FROM moved',
                [low, high],
            )
        cursor.execute(f"ALTER TABLE \"{table}\" ATTACH PARTITION \"{name}\" FOR VALUES FROM ('{low}') TO ('{high}')")
        return True

    def ensure(self, days: Iterable[date]) -> list[str]:
        """Make sure the period of each of `days` has its partition; idempotent.

        One short transaction per period, with a lock timeout. Returns the names created now
        (empty on SQLite, or when all existed).
        """
        if not self.is_partitioned():
            return []
        created = []
        for start in sorted({self.start_of(d) for d in days}):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                if self._attach(cursor, start):
                    created.append(partition_name(self.table, self.period, start))
        if created:
            logger.info("%s partitions created: %s", self.table, ", ".join(created))
        return created

    def create_ahead(self, *, ahead: int, today: date | None = None) -> list[str]:
        """Make sure the partitions of this period and the next `ahead` ones exist; idempotent."""
        first = self.start_of(today or timezone.localdate())
        return self.ensure(self.add(first, i) for i in range(ahead + 1))

    def drop_expired(self, *, today: date | None = None, horizon: date | None = None) -> list[str]:
        """Drop the partitions whose every day is before the horizon (`keep_from(today)` unless
        given); a period straddling the horizon stays until its last day has expired, and the
        default partition is never dropped (its rows are left to the row-by-row retention).

        Each drop is one transaction, with the `on_drop` hook. Returns the names dropped.
        """
        if not self.is_partitioned():
            return []
        horizon = horizon or self.keep_from(today or timezone.localdate())
        dropped = []
        for part in self.partitions():
            if part.start is None or self.add(part.start, 1) > horizon:
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                # A table with pending deferred foreign-key checks cannot be dropped: run them now
                # (there are none unless this runs inside a transaction that wrote to the table).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                # part.name matched the partition pattern: no input reaches these statements.
                cursor.execute(f'SELECT count(*) FROM "{part.name}"')  # noqa: S608
                rows = cursor.fetchone()[0]
                if self.on_drop is not None:
                    self.on_drop(cursor, DroppedPartition(
                        table=self.table, name=part.name, start=part.start, end=self.add(part.start, 1),
                        rows=rows, horizon=horizon,
                    ))
                cursor.execute(f'ALTER TABLE "{self.table}" DETACH PARTITION "{part.name}"')
                cursor.execute(f'DROP TABLE "{part.name}"')
            dropped.append(part.name)
            logger.info("%s partition %s dropped (%s rows, horizon %s)", self.table, part.name, rows, horizon)
        return dropped


# --- Converting a table (migrations) -----------------------------------------------------------
# In the migration's one transaction: the new parent and its partitions are created, the rows
# copied, the old table dropped and the new one renamed, then constraints and indexes are
# re-created under their old names — except the primary key, which becomes (id, <column>).


def _relkind(cursor: Any, table: str) -> str | None:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return row[0] if row else None


def _definitions(cursor: Any, table: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s) "
        "AND contype IN ('p', 'u', 'f', 'c') ORDER BY contype DESC, conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = to_regclass(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
        [table],
    )
    indexes = [row[0].replace(" ON ONLY ", " ON ") for row in cursor.fetchall()]
    return constraints, indexes


def _swap(cursor: Any, table: str, constraints: list[tuple[str, str, str]], indexes: list[str], primary_key: str) -> None:
    new = f"{table}_new"
    cursor.execute(f"INSERT INTO {new} SELECT * FROM {table}")  # noqa: S608 - fixed names
    cursor.execute(f"DROP TABLE {table}")
    cursor.execute(f"ALTER TABLE {new} RENAME TO {table}")
    cursor.execute(f"ALTER SEQUENCE {new}_id_seq RENAME TO {table}_id_seq")
    cursor.execute(f"SELECT setval('{table}_id_seq', COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)")  # noqa: S608
    for name, kind, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {primary_key if kind == "p" else definition}')
    for definition in indexes:
        cursor.execute(definition)


def table_partition(cursor: Any, *, table: str, period: Period, first: date, last: date, column: str = "day") -> bool:
    """Rebuild the plain `table` as one partitioned by RANGE on `column`: a partition per period
    from the one holding `first` to the one holding `last`, a default partition for the rest,
    every row moved. Returns False (nothing done) unless it is a plain PostgreSQL table."""
    if cursor.db.vendor != "postgresql" or _relkind(cursor, table) != "r":
        return False
    new = f"{table}_new"
    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    constraints, indexes = _definitions(cursor, table)
    cursor.execute(
        f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY) PARTITION BY RANGE ({column})"
    )
    start, last = period_start(period, first), period_start(period, last)
    while start <= last:
        nxt = period_add(period, start, 1)
        cursor.execute(
            f"CREATE TABLE {partition_name(table, period, start)} PARTITION OF {new} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{nxt.isoformat()}')"
        )
        start = nxt
    cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {new} DEFAULT")
    _swap(cursor, table, constraints, indexes, f"PRIMARY KEY (id, {column})")
    return True


def table_unpartition(cursor: Any, *, table: str) -> bool:
    """The reverse of `table_partition`: a plain table again, primary key (id), every row kept."""
    if cursor.db.vendor != "postgresql" or _relkind(cursor, table) != "p":
        return False
    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    constraints, indexes = _definitions(cursor, table)
    cursor.execute(f"CREATE TABLE {table}_new (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY)")
    _swap(cursor, table, constraints, indexes, "PRIMARY KEY (id)")
    return True
