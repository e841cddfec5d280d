from __future__ import annotations

from django_tasks import task


@task()
def export_run(job_id: int) -> str:
    """Write a large export's file in the background (progress is polled by the console)."""
    from khaibao.exports.services import export_run as run

    job = run(job_id=job_id)
    return job.status if job is not None else "skipped"


@task()
def export_cleanup() -> int:
    """Hourly: delete the files of expired exports."""
    from khaibao.exports.cleanup import export_cleanup as cleanup

    return cleanup()


@task()
def exports_sweep() -> dict[str, int]:
    """Every minute: retry or fail the exports whose worker died; enqueue again those whose
    enqueue was lost (services.exports_sweep)."""
    from khaibao.exports.services import exports_sweep as sweep

    return sweep()
