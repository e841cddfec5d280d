"""Running the queued tasks of one task path, as the worker would (tests of the outboxes)."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_due_tasks(task_path: str) -> list[Any]:
    """Run the queued tasks of `task_path` that are due, oldest first, until none is left; their
    return values in order (the status instead, for one that did not succeed). Only that path's:
    the other work a request queued stays as the test expects it."""
    worker = Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )
    results: list[Any] = []
    while True:
        db_task = DBTaskResult.objects.ready().filter(task_path=task_path).order_by("run_after", "enqueued_at").first()
        if db_task is None:
            return results
        db_task.claim(worker.worker_id)
        worker.run_task(db_task)
        db_task.refresh_from_db()
        results.append(db_task.return_value if db_task.status == "SUCCESSFUL" else db_task.status)
