import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from khaibao.core.models import ScheduledRun
from khaibao.core.schedule import enqueue_due, period_of


def test_it_enqueues_each_periodic_job_once_per_slot(db, settings):
    settings.PERIODIC_TASKS = [("khaibao.core.tasks.prune_scheduled_runs", 60)]
    assert enqueue_due(now=960_000.0) == ["khaibao.core.tasks.prune_scheduled_runs"]
    # A second worker (or a second tick) in the same slot does nothing.
    assert enqueue_due(now=960_030.0) == []
    assert DBTaskResult.objects.count() == 1
    # The next slot runs again, once the first run finished (a run still queued or running is
    # never doubled: test_schedule_overlap.py).
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())
    assert enqueue_due(now=960_061.0) == ["khaibao.core.tasks.prune_scheduled_runs"]
    assert ScheduledRun.objects.count() == 2


def test_a_jobs_period_is_read_from_the_schedule(settings):
    settings.PERIODIC_TASKS = [("khaibao.core.tasks.prune_scheduled_runs", 60), ("khaibao.monitoring.tasks.pending_assessments_run", 5)]
    assert period_of("khaibao.monitoring.tasks.pending_assessments_run") == 5
    with pytest.raises(LookupError, match="not a periodic job"):
        period_of("khaibao.core.tasks.does_not_exist")


def test_it_skips_a_job_that_cannot_be_imported(db, settings):
    settings.PERIODIC_TASKS = [("khaibao.core.tasks.does_not_exist", 60)]
    assert enqueue_due(now=960_000.0) == []
    assert not ScheduledRun.objects.exists()


def test_it_prunes_finished_task_rows_after_the_retention(db, settings):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks.base import TaskResultStatus

    from khaibao.core.tasks import prune_task_results, worker_heartbeat

    settings.TASK_RESULTS_KEEP_DAYS = 7
    old = worker_heartbeat.enqueue("old")
    recent = worker_heartbeat.enqueue("recent")
    waiting = worker_heartbeat.enqueue("waiting")
    now = timezone.now()
    DBTaskResult.objects.filter(id=old.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=now - timedelta(days=8)
    )
    DBTaskResult.objects.filter(id=recent.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=now - timedelta(days=1)
    )
    assert prune_task_results.call() == 1
    assert {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)} == {str(recent.id), str(waiting.id)}
