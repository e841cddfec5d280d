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
    """Hourly: delete the files of exports whose download link expired."""
    from khaibao.exports.services import export_cleanup as cleanup

    return cleanup()
