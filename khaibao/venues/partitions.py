"""Day partitions of the check-in table on PostgreSQL (issue 20, item 5 "Scale").

A national morning is tens of millions of check-ins a day, each kept only
`VENUE_CHECKIN_KEEP_DAYS` (21) days: `venues_checkin` is partitioned by RANGE on `day`, one
partition per local day (`venues_checkin_y2026m12d07`) plus a DEFAULT partition (migration
0003). The periodic job `venues.tasks.checkin_partitions` creates
`VENUE_CHECKIN_PARTITION_DAYS_AHEAD` days ahead and drops the days wholly past the keep period,
and the retention job drops them before its row-by-row rule runs (privacy/retention.py), so
erasing a day is one `DROP TABLE` instead of ~30M deletes. The mechanics are core's
(`core/partitions.py`, shared with the daily updates' month partitions).

Nothing holds a foreign key to a check-in (`id` alone is not unique-indexed any more);
exposures found from check-ins copy what they need (`VenueExposure.checked_in_at`, `on`).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.backends.utils import CursorWrapper

from khaibao.audit.services import audit_record
from khaibao.core.partitions import DroppedPartition, PartitionedTable


def checkin_keep_from(today: date) -> date:
    """The first day whose check-ins are still kept: every check-in of an earlier day is at least
    `VENUE_CHECKIN_KEEP_DAYS` old from midnight `today` on."""
    return today - timedelta(days=settings.VENUE_CHECKIN_KEEP_DAYS)


def _on_drop(cursor: CursorWrapper, dropped: DroppedPartition) -> None:
    audit_record(
        actor=None,
        action="checkin.partition_drop",
        data={"partition": dropped.name, "day": dropped.start.isoformat(), "rows": dropped.rows,
              "horizon": dropped.horizon.isoformat()},
    )


CHECKINS = PartitionedTable(table="venues_checkin", period="day", keep_from=checkin_keep_from, on_drop=_on_drop)


def checkin_partitions_create_ahead(*, today: date | None = None, days_ahead: int | None = None) -> list[str]:
    """Make sure today's partition and the next `days_ahead` days' exist
    (settings.VENUE_CHECKIN_PARTITION_DAYS_AHEAD by default); idempotent. Nothing on SQLite."""
    ahead = settings.VENUE_CHECKIN_PARTITION_DAYS_AHEAD if days_ahead is None else days_ahead
    return CHECKINS.create_ahead(today=today, ahead=ahead)


def checkin_partitions_drop_expired(*, today: date | None = None) -> list[str]:
    """Drop the day partitions before `checkin_keep_from(today)`, each in one transaction with
    its `checkin.partition_drop` audit event; the default partition stays (its rows are the
    retention rule's). Returns the names dropped; nothing on SQLite."""
    return CHECKINS.drop_expired(today=today)
