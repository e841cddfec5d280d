"""Background work for venues: the exposure runs, resuming those whose worker died, and the
check-in table's day partitions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks import task

from khaibao.venues.exposure import exposure_run_step
from khaibao.venues.models import RunStatus, VenueExposureRun
from khaibao.venues.partitions import checkin_partitions_create_ahead, checkin_partitions_drop_expired

# A run untouched this long lost its worker (each batch takes seconds).
STALE_AFTER = timedelta(minutes=5)


@task()
def venue_exposure_run(run_id: int, max_steps: int | None = None) -> dict[str, Any]:
    """Match, then warn and re-assess everyone of one exposure run, batch after batch.

    Safe to run twice or concurrently: steps lock the run row and warn only exposures not yet
    warned. `max_steps` stops early (tests simulate a worker killed half-way with it).
    """
    steps = 0
    while True:
        run = exposure_run_step(run_id=run_id)
        steps += 1
        if run.status == RunStatus.DONE or (max_steps is not None and steps >= max_steps):
            break
    return {"run": run_id, "status": run.status, "warned": run.warned, "steps": steps}


@task()
def venue_exposure_runs_resume() -> int:
    """Periodic: queue again the runs whose worker died (pending or running, untouched a while)."""
    ids = list(
        VenueExposureRun.objects.exclude(status=RunStatus.DONE)
        .filter(updated_at__lt=timezone.now() - STALE_AFTER).values_list("pk", flat=True)
    )
    for run_id in ids:
        venue_exposure_run.enqueue(run_id)
    return len(ids)


@task()
def checkin_partitions() -> dict[str, list[str]]:
    """Periodic: keep the check-in table's day partitions (PostgreSQL): create the coming days
    ahead, drop the days wholly past VENUE_CHECKIN_KEEP_DAYS. Nothing to do on SQLite."""
    return {"created": checkin_partitions_create_ahead(), "dropped": checkin_partitions_drop_expired()}
