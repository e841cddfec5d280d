from __future__ import annotations

from django_tasks import task

from khaibao.monitoring.partitions import partitions_create_ahead, partitions_drop_expired
from khaibao.monitoring.pending import pending_assess_all


@task()
def daily_update_partitions() -> dict[str, list[str]]:
    """Keep the daily-update table's month partitions (PostgreSQL): create the coming months
    ahead, drop the months wholly past the health-data retention. Nothing to do on SQLite."""
    return {"created": partitions_create_ahead(), "dropped": partitions_drop_expired()}


@task()
def pending_assessments_run() -> dict[str, int]:
    """Rush mode (decision D): assess the daily updates stored first, in set-based batches, until
    none waits (or the run's budget is spent; the next run, 5 s later, goes on)."""
    return pending_assess_all()
