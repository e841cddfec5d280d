from __future__ import annotations

from django_tasks import task

from khaibao.stats.services import rollup_refresh


@task()
def stats_refresh() -> int:
    """Every 30 s (settings.PERIODIC_TASKS): today's and yesterday's rollups, lag ≤ 60 s."""
    return sum(result.areas for result in rollup_refresh())
