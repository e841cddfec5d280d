"""Monthly partitions of the daily-update table on PostgreSQL (DESIGN.md §8, issue 9).

`monitoring_dailyupdate` is partitioned by RANGE on `day`, one partition per calendar month
(`monitoring_dailyupdate_y2026m11` holds 2026-11-01 … 2026-11-30) plus a DEFAULT partition.
Migration 0007 converted the table; the periodic job `monitoring.tasks.daily_update_partitions`
keeps partitions created ahead and drops the months wholly past the health-data retention.
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
from django.utils import timezone

from khaibao.audit.services import audit_record
from khaibao.core import partitions as core_partitions
from khaibao.core.partitions import DroppedPartition, Partition, PartitionedTable

__all__ = [
    "DAILY_UPDATES", "Partition", "is_partitioned", "month_add", "month_start", "partition_name",
    "partitions_create_ahead", "partitions_drop_expired", "partitions_ensure", "partitions_list",
    "retention_horizon",
]


def retention_horizon(*, today: date | None = None, retention_days: int | None = None) -> date:
    """The first day still kept: updates of earlier days are past the health-data retention."""
    today = today or timezone.localdate()
    days = getattr(settings, "RETENTION_HEALTH_DAYS", 180) if retention_days is None else retention_days
    return today - timedelta(days=int(days))


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
    keep_from=lambda today: retention_horizon(today=today),
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


def partitions_drop_expired(*, today: date | None = None, retention_days: int | None = None) -> list[str]:
    """Drop the month partitions whose every day is before the retention horizon
    (`RETENTION_HEALTH_DAYS`, default 180 days); a month that straddles the horizon stays until
    its last day has expired, and the default partition is never dropped (rows there are left
    to the row-by-row retention purge). Assessments pointing at a dropped update lose the link.
    Each drop is one transaction with its audit event. Returns the names dropped."""
    return DAILY_UPDATES.drop_expired(horizon=retention_horizon(today=today, retention_days=retention_days))
