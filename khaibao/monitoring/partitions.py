"""Monthly partitions of the daily-update table on PostgreSQL (DESIGN.md §8, issue 9).

`monitoring_dailyupdate` is partitioned by RANGE on `day`, one partition per calendar month
(`monitoring_dailyupdate_y2026m11` holds 2026-11-01 … 2026-11-30) plus a DEFAULT partition.
Migration 0007 converted the table; the periodic job `monitoring.tasks.daily_update_partitions`
keeps partitions created ahead and drops the months wholly past the horizon, and so does the
retention job before its row-by-row rule (privacy/retention.py).

The rule is this module's, on every database (docs/privacy.md, "How long"): a daily update is
health data kept `RETENTION_HEALTH_DAYS` after its own day, whatever the person's activity
(`daily_update_keep_from`). On PostgreSQL a month leaves whole, once every day of it is past the
horizon (so an update lives up to a month longer); on a plain table (SQLite) the retention job
deletes the rows day by day (`daily_updates_expired` says which rows, on both).

The mechanics (naming, attach with rows moved out of the default, drop with a lock timeout)
are core's (`core/partitions.py`, shared with the venues' day partitions); this module says
which table, by month, how long it is kept, and what a drop does to the rows that point at it.

Why monthly: a day-range query (the stats refresh reads one day) touches one partition, and
retention becomes `DROP TABLE` of a whole month instead of deleting ~30M rows per day at the
national scale (docs/scaling.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db.backends.utils import CursorWrapper
from django.db.models import Q

from khaibao.audit.services import audit_record
from khaibao.core import partitions as core_partitions
from khaibao.core.partitions import DroppedPartition, Partition, PartitionedTable

__all__ = [
    "DAILY_UPDATES", "Partition", "daily_update_keep_from", "daily_updates_expired", "is_partitioned",
    "month_add", "month_start", "partition_name", "partitions_create_ahead", "partitions_drop_expired",
    "partitions_ensure", "partitions_list",
]


def daily_update_keep_from(today: date) -> date:
    """The horizon: the first day whose daily updates are still kept on `today`. An update is
    health data kept `RETENTION_HEALTH_DAYS` after its own day, whatever the person's activity —
    the one rule for the partition drop and the retention job (docs/privacy.md, "How long")."""
    return today - timedelta(days=settings.RETENTION_HEALTH_DAYS)


def daily_updates_expired(today: date) -> Q:
    """The filter for the updates past the rule that the retention job deletes row by row.

    On a plain table (SQLite) every update of a day before the horizon. On the partitioned table
    only those of months wholly before it: a month leaves whole (`partitions_drop_expired`, which
    the retention job runs first), so this finds the default partition's rows alone — never
    ~30M deletes a day from a month that is about to be dropped (docs/scaling.md)."""
    keep_from = daily_update_keep_from(today)
    if is_partitioned():
        keep_from = month_start(keep_from)
    return Q(day__lt=keep_from)


def _on_drop(cursor: CursorWrapper, dropped: DroppedPartition) -> None:
    # Assessments pointing at a dropped update lose the link (daily_update set to NULL), as the
    # model's on_delete=SET_NULL promises; no foreign key can do it (migration 0007).
    cursor.execute(
        f'UPDATE monitoring_assessment SET daily_update_id = NULL WHERE daily_update_id IN (SELECT id FROM "{dropped.name}")'  # noqa: S608
    )
    audit_record(
        actor=None,
        action="daily_update.partition_drop",
        data={"partition": dropped.name, "month": dropped.start.isoformat(), "rows": dropped.rows,
              "horizon": dropped.horizon.isoformat()},
    )


DAILY_UPDATES = PartitionedTable(
    table="monitoring_dailyupdate",
    period="month",
    keep_from=daily_update_keep_from,
    on_drop=_on_drop,
)
TABLE = DAILY_UPDATES.table
DEFAULT_PARTITION = DAILY_UPDATES.default_name


def month_start(day: date) -> date:
    return core_partitions.period_start("month", day)


def month_add(month: date, months: int) -> date:
    return core_partitions.period_add("month", month, months)


def partition_name(month: date) -> str:
    return DAILY_UPDATES.name_of(month)


def is_partitioned() -> bool:
    """True when the table is a partitioned table (PostgreSQL after migration 0007)."""
    return DAILY_UPDATES.is_partitioned()


def partitions_list() -> list[Partition]:
    """The partitions attached to the daily-update table, months in order, the default last."""
    return DAILY_UPDATES.partitions()


def partitions_ensure(months: Iterable[date]) -> list[str]:
    """Make sure each month of `months` (any day of it) has its partition; idempotent."""
    return DAILY_UPDATES.ensure(months)


def partitions_create_ahead(*, today: date | None = None, months_ahead: int | None = None) -> list[str]:
    """Make sure the partitions of this month and the next `months_ahead` months exist
    (settings.DAILY_UPDATE_PARTITION_MONTHS_AHEAD by default); idempotent. Returns the names
    created now."""
    ahead = settings.DAILY_UPDATE_PARTITION_MONTHS_AHEAD if months_ahead is None else months_ahead
    return DAILY_UPDATES.create_ahead(today=today, ahead=ahead)


def partitions_drop_expired(*, today: date | None = None) -> list[str]:
    """Drop the month partitions whose every day is before `daily_update_keep_from(today)`; a
    month that straddles the horizon stays until its last day has expired, and the default
    partition is never dropped (its rows are the retention job's: `daily_updates_expired`).
    Assessments pointing at a dropped update lose the link. Each drop is one transaction with
    its audit event. Returns the names dropped; nothing on SQLite."""
    return DAILY_UPDATES.drop_expired(today=today)
