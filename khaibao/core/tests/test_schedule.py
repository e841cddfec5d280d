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


def test_it_purges_expired_idempotency_records_and_one_time_codes(world, api, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from khaibao.accounts.models import OtpChallenge
    from khaibao.api.models import IdempotencyRecord
    from khaibao.core.tasks import purge_expired_short_lived_rows

    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    assert api.post("/auth/otp/request", {"phone": "0912345678"}).status_code == 202
    child = {"full_name": "Lê Văn Tèo", "sex": "male", "birth_year": 2018, "relation": "child", "ward_code": 70}
    assert api.as_(world.lan).post("/people", child, headers={"Idempotency-Key": "k1"}).status_code == 201
    assert purge_expired_short_lived_rows.call() == {"idempotency": 0, "otp": 0, "pass_codes": 0}
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        counts = purge_expired_short_lived_rows.call()
    assert (counts["idempotency"], counts["otp"]) == (1, 1)
    assert not IdempotencyRecord.objects.exists()
    assert not OtpChallenge.objects.exists()
