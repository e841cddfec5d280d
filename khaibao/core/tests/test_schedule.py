from django_tasks_db.models import DBTaskResult

from khaibao.core.models import ScheduledRun
from khaibao.core.schedule import enqueue_due


def test_it_enqueues_each_periodic_job_once_per_slot(db, settings):
    settings.PERIODIC_TASKS = [("khaibao.core.tasks.prune_scheduled_runs", 60)]
    assert enqueue_due(now=960_000.0) == ["khaibao.core.tasks.prune_scheduled_runs"]
    # A second worker (or a second tick) in the same slot does nothing.
    assert enqueue_due(now=960_030.0) == []
    assert DBTaskResult.objects.count() == 1
    # The next slot runs again.
    assert enqueue_due(now=960_061.0) == ["khaibao.core.tasks.prune_scheduled_runs"]
    assert ScheduledRun.objects.count() == 2


def test_it_skips_a_job_that_cannot_be_imported(db, settings):
    settings.PERIODIC_TASKS = [("khaibao.core.tasks.does_not_exist", 60)]
    assert enqueue_due(now=960_000.0) == []
    assert not ScheduledRun.objects.exists()
