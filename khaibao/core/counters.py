"""Operational counters per hour, for what operators must see beyond a log line (the sign-in SMS
that could not be sent): `/healthz?detail` shows the last hour's counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from khaibao.core.models import OpsCounter

KEEP = timedelta(days=7)


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def counter_add(name: str, n: int = 1, *, now: datetime | None = None) -> None:
    """Add `n` to this hour's count of `name` (one statement, safe under concurrency)."""
    table = connection.ops.quote_name(OpsCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, hour, count) VALUES (%s, %s, %s) "  # noqa: S608 - table name from the model
            f"ON CONFLICT (name, hour) DO UPDATE SET count = {table}.count + excluded.count",
            [name, _hour(now or timezone.now()), n],
        )


def counters_since(names: list[str], since: datetime) -> dict[str, int]:
    """The counts of `names` in the hours that overlap [since, now] (0 when nothing happened)."""
    rows = (
        OpsCounter.objects.filter(name__in=names, hour__gte=_hour(since))
        .values("name")
        .annotate(total=Sum("count"))
    )
    found = {row["name"]: int(row["total"] or 0) for row in rows}
    return {name: found.get(name, 0) for name in names}


def counters_prune(*, now: datetime | None = None) -> int:
    deleted, _ = OpsCounter.objects.filter(hour__lt=(now or timezone.now()) - KEEP).delete()
    return deleted
