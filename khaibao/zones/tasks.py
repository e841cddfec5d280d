"""Background work for zones: the warning runs (one per declared or raised zone/place version)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from khaibao.zones.models import RunStatus, ZoneWarningRun
from khaibao.zones.selectors import warning_runs_unfinished
from khaibao.zones.warnings import warning_run_step

# A run untouched this long lost its worker (each batch takes seconds).
STALE_AFTER = timedelta(minutes=5)


@task()
def zone_warnings_run(run_id: int, max_batches: int | None = None) -> dict[str, Any]:
    """Warn everyone affected by one zone or place version, batch after batch, until done.

    Safe to run twice or concurrently: batches lock the run row and skip people already
    warned. `max_batches` stops early (tests simulate a worker killed half-way with it).
    """
    batches = 0
    while True:
        run = warning_run_step(run_id=run_id)
        batches += 1
        if run.status == RunStatus.DONE or (max_batches is not None and batches >= max_batches):
            break
    return {"run": run_id, "status": run.status, "warned": run.warned, "batches": batches}


def warning_run_queue(run: ZoneWarningRun) -> None:
    """Start `run` once the transaction that created it commits."""
    run_id = run.pk
    transaction.on_commit(lambda: zone_warnings_run.enqueue(run_id), robust=True)


@task()
def zone_warning_runs_resume() -> int:
    """Periodic: queue again the runs whose worker died (pending or running, untouched for a while)."""
    ids = warning_runs_unfinished(stale_before=timezone.now() - STALE_AFTER)
    for run_id in ids:
        zone_warnings_run.enqueue(run_id)
    return len(ids)
