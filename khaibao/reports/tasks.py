"""Background work of the citizen reports."""

from __future__ import annotations

from django_tasks import task

from khaibao.reports.cleanup import report_photos_sweep as sweep


@task()
def report_photos_sweep() -> int:
    """Hourly (settings.PERIODIC_TASKS): delete the photo files no report names — a report rolled
    back by its caller, a process killed before its commit (reports/cleanup.py)."""
    return sweep()
