from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from khaibao.core.models import WorkerHeartbeat


@task()
def worker_heartbeat(worker_id: str) -> str:
    """Run by the worker itself: a fresh row proves the queue is being consumed."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"beat_at": now})
    return now.isoformat()


@task()
def prune_scheduled_runs() -> int:
    """Forget scheduler slots older than a week (they only exist to deduplicate enqueues)."""
    from khaibao.core.schedule import prune_old_runs

    return prune_old_runs()


@task()
def prune_task_results() -> int:
    """Delete finished task rows older than TASK_RESULTS_KEEP_DAYS so the queue table stays small."""
    from datetime import timedelta

    from django.conf import settings
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
    deleted, _ = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=cutoff
    ).delete()
    return deleted
