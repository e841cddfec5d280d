"""Monthly partitions of the daily-update table on PostgreSQL (DESIGN.md §8, issue 9).

`monitoring_dailyupdate` is partitioned by RANGE on `day`, one partition per calendar month
(`monitoring_dailyupdate_y2026m11` holds 2026-11-01 … 2026-11-30) plus a DEFAULT partition that
catches any day no month partition covers, so an insert never fails for want of a partition.
Migration 0007 converted the table; the periodic job `monitoring.tasks.daily_update_partitions`
keeps partitions created ahead and drops the months wholly past the health-data retention.

Why monthly: a day-range query (the stats refresh reads one day) touches one partition, and
retention becomes `DROP TABLE` of a whole month instead of deleting ~30M rows per day at the
national scale (docs/scaling.md). The primary key is (id, day) at the SQL level because
PostgreSQL requires every unique index of a partitioned table to contain the partition key;
Django keeps `id` as the model's primary key, which stays unique because every id comes from
the one identity sequence of the parent table.

SQLite keeps a plain table: every function here does nothing there and says so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from khaibao.audit.services import audit_record

logger = logging.getLogger(__name__)

TABLE = "monitoring_dailyupdate"
DEFAULT_PARTITION = f"{TABLE}_default"
_MONTH_NAME = re.compile(rf"^{TABLE}_y(\d{{4}})m(\d{{2}})$")
# The job must never queue behind a long query holding the table and so stall the hot path
# behind it: it gives up and tries again at its next run.
LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class Partition:
    name: str
    month: date | None  # first day of the month; None for the default partition
    rows_estimate: int


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def is_partitioned() -> bool:
    """True when the table is a partitioned table (PostgreSQL after migration 0007)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def partitions_list() -> list[Partition]:
    """The partitions attached to the daily-update table, months in order, the default last."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.reltuples::bigint
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass(%s)
            """,
            [TABLE],
        )
        rows = cursor.fetchall()
    found = []
    for name, tuples in rows:
        match = _MONTH_NAME.match(name)
        month = date(int(match.group(1)), int(match.group(2)), 1) if match else None
        found.append(Partition(name=name, month=month, rows_estimate=max(0, int(tuples))))
    return sorted(found, key=lambda p: (p.month is None, p.month or date.min, p.name))


def _attach_month(cursor: CursorWrapper, month: date) -> bool:
    """Create and attach the partition of `month`; False when it already exists.

    Rows of that month already sitting in the default partition (a job that did not run for
    months) are moved into the new partition first: attaching checks that the default holds
    none of the new range, and refuses otherwise.
    """
    name = partition_name(month)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cursor.fetchone()[0]:
        return False
    start, end = month.isoformat(), month_add(month, 1).isoformat()
    # A standalone table attached afterwards: ATTACH PARTITION takes a weaker lock on the
    # parent than CREATE TABLE … PARTITION OF, so updates keep flowing while it runs.
    cursor.execute(f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [DEFAULT_PARTITION])
    if cursor.fetchone()[0]:
        # Identifiers are this module's own names (no input reaches them); values are parameters.
        cursor.execute(
            f'WITH moved AS (DELETE FROM "{DEFAULT_PARTITION}" WHERE day >= %s AND day < %s RETURNING *) '  # noqa: S608
            f'INSERT INTO "{name}" SELECT * FROM moved',
            [start, end],
        )
    cursor.execute(f"ALTER TABLE \"{TABLE}\" ATTACH PARTITION \"{name}\" FOR VALUES FROM ('{start}') TO ('{end}')")
    return True


def partitions_ensure(months: Iterable[date]) -> list[str]:
    """Make sure each month of `months` (any day of it) has its partition; idempotent.

    One short transaction per month, with a lock timeout. Returns the names created now
    (empty on SQLite, or when all existed).
    """
    if not is_partitioned():
        return []
    created = []
    for month in sorted({month_start(m) for m in months}):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            if _attach_month(cursor, month):
                created.append(partition_name(month))
    if created:
        logger.info("daily-update partitions created: %s", ", ".join(created))
    return created


def partitions_create_ahead(*, today: date | None = None, months_ahead: int | None = None) -> list[str]:
    """Make sure the partitions of this month and the next `months_ahead` months exist
    (settings.DAILY_UPDATE_PARTITION_MONTHS_AHEAD by default); idempotent.

    Returns the names of the partitions created now.
    """
    today = today or timezone.localdate()
    ahead = settings.DAILY_UPDATE_PARTITION_MONTHS_AHEAD if months_ahead is None else months_ahead
    first = month_start(today)
    return partitions_ensure(month_add(first, i) for i in range(ahead + 1))


def retention_horizon(*, today: date | None = None, retention_days: int | None = None) -> date:
    """The first day still kept: updates of earlier days are past the health-data retention."""
    today = today or timezone.localdate()
    days = getattr(settings, "RETENTION_HEALTH_DAYS", 180) if retention_days is None else retention_days
    return today - timedelta(days=int(days))


def partitions_drop_expired(*, today: date | None = None, retention_days: int | None = None) -> list[str]:
    """Drop the month partitions whose every day is before the retention horizon
    (`RETENTION_HEALTH_DAYS`, default 180 days); a month that straddles the horizon stays
    until its last day has expired, and the default partition is never dropped (rows there
    are left to the row-by-row retention purge).

    Assessments pointing at a dropped update lose the link (daily_update set to NULL), as the
    model's on_delete=SET_NULL promises. Each drop is one transaction with its audit event.
    Returns the names of the partitions dropped.
    """
    if not is_partitioned():
        return []
    horizon = retention_horizon(today=today, retention_days=retention_days)
    dropped = []
    for part in partitions_list():
        if part.month is None or month_add(part.month, 1) > horizon:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            # A table with pending deferred foreign-key checks cannot be dropped: run them now
            # (there are none unless this runs inside a transaction that wrote daily updates).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # part.name matched the month-partition pattern: no input reaches these statements.
            cursor.execute(
                f'UPDATE monitoring_assessment SET daily_update_id = NULL WHERE daily_update_id IN (SELECT id FROM "{part.name}")'  # noqa: S608
            )
            cursor.execute(f'SELECT count(*) FROM "{part.name}"')  # noqa: S608
            rows = cursor.fetchone()[0]
            cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{part.name}"')
            cursor.execute(f'DROP TABLE "{part.name}"')
            audit_record(
                actor=None,
                action="daily_update.partition_drop",
                data={"partition": part.name, "month": part.month.isoformat(), "rows": rows,
                      "horizon": horizon.isoformat()},
            )
        dropped.append(part.name)
        logger.info("daily-update partition %s dropped (%s rows, horizon %s)", part.name, rows, horizon)
    return dropped
