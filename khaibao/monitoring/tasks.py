from __future__ import annotations

from django_tasks import task

from khaibao.monitoring.partitions import partitions_create_ahead, partitions_drop_expired


@task()
def daily_update_partitions() -> dict[str, list[str]]:
    """Keep the daily-update table's month partitions (PostgreSQL): create the coming months
    ahead, drop the months wholly past the health-data retention. Nothing to do on SQLite."""
    return {"created": partitions_create_ahead(), "dropped": partitions_drop_expired()}
