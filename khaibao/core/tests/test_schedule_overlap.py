"""A periodic job never overlaps itself: while its previous run is still queued or running, the
scheduler claims the slot but skips it (logged, counted); once that run finished — or its worker
died — the job starts again at the next slot (review P1-2)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from khaibao.core.counters import counters_since
from khaibao.core.models import ScheduledRun
from khaibao.core.schedule import QUEUED_GIVE_UP_SECONDS, SKIPPED_COUNTER, enqueue_due
from khaibao.core.workers import worker_alive

JOB = "khaibao.core.tasks.prune_scheduled_runs"
OTHER = "khaibao.core.tasks.prune_task_results"


@pytest.fixture
def clock(db: Any, settings: Any, time_machine: Any) -> Any:
    settings.PERIODIC_TASKS = [(JOB, 60)]
    settings.WORKER_STALE_SECONDS = 120
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    return time_machine


def _next_slot(clock: Any, seconds: int = 60) -> None:
    clock.shift(timedelta(seconds=seconds))


def _only_run() -> DBTaskResult:
    return DBTaskResult.objects.get(task_path=JOB)


def _set(row: DBTaskResult, status: str, **fields: Any) -> None:
    DBTaskResult.objects.filter(id=row.id).update(status=status, **fields)


def _skipped() -> int:
    name = f"{SKIPPED_COUNTER}{JOB}"
    return counters_since([name], timezone.now() - timedelta(hours=1))[name]


def test_it_skips_a_job_still_running_and_starts_it_once_that_run_finished(clock: Any, caplog: Any) -> None:
    assert enqueue_due() == [JOB]
    run = _only_run()
    _set(run, TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=["host-a-1"])
    worker_alive("host-a-1")

    for minute in range(1, 4):  # a run longer than three slots, on a live worker
        _next_slot(clock)
        worker_alive("host-a-1")
        with caplog.at_level(logging.INFO, logger="khaibao.core.schedule"):
            assert enqueue_due() == []
        assert "still running" in caplog.text
        assert DBTaskResult.objects.filter(task_path=JOB).count() == 1
        assert _skipped() == minute
    # The skipped slots are claimed: another worker (or tick) in the same slot does not ask again.
    assert enqueue_due() == []
    assert _skipped() == 3
    assert ScheduledRun.objects.filter(name=JOB).count() == 4

    _set(run, TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())
    _next_slot(clock)
    assert enqueue_due() == [JOB]
    assert DBTaskResult.objects.filter(task_path=JOB, status=TaskResultStatus.READY).count() == 1


def test_a_run_still_queued_holds_the_job_back_until_a_worker_takes_it(clock: Any) -> None:
    assert enqueue_due() == [JOB]
    _next_slot(clock)
    # Every worker busy: a second copy would only run beside the first once one frees up.
    assert enqueue_due() == []
    assert DBTaskResult.objects.filter(task_path=JOB).count() == 1
    _set(_only_run(), TaskResultStatus.FAILED, finished_at=timezone.now())  # a failed run is finished too
    _next_slot(clock)
    assert enqueue_due() == [JOB]


def test_a_run_whose_worker_died_does_not_block_the_job(clock: Any) -> None:
    assert enqueue_due() == [JOB]
    run = _only_run()
    _set(run, TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=["host-a-1"])
    worker_alive("host-a-1")
    _next_slot(clock)
    # Just after the kill -9 nothing tells yet: its liveness is still fresh.
    assert enqueue_due() == []
    # No sign of life for WORKER_STALE_SECONDS: the row is abandoned (tasks_sweep will close it).
    _next_slot(clock, 121)
    assert enqueue_due() == [JOB]
    assert DBTaskResult.objects.filter(task_path=JOB).count() == 2


def test_a_run_just_claimed_counts_as_running_before_its_worker_stamped_its_liveness(clock: Any) -> None:
    assert enqueue_due() == [JOB]
    _set(_only_run(), TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=["host-new"])
    _next_slot(clock)
    assert enqueue_due() == []  # started 60 s ago, younger than WORKER_STALE_SECONDS
    _next_slot(clock, 61)
    assert enqueue_due() == [JOB]  # 121 s and never a sign of life: dead


def test_a_queued_run_left_behind_for_an_hour_no_longer_blocks(clock: Any) -> None:
    assert enqueue_due() == [JOB]
    _next_slot(clock, QUEUED_GIVE_UP_SECONDS + 60)
    assert enqueue_due() == [JOB]


def test_one_busy_job_does_not_hold_back_the_others(clock: Any, settings: Any) -> None:
    settings.PERIODIC_TASKS = [(JOB, 60), (OTHER, 60)]
    assert enqueue_due() == [JOB, OTHER]
    _set(DBTaskResult.objects.get(task_path=OTHER), TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())
    _next_slot(clock)
    assert enqueue_due() == [OTHER]


@pytest.mark.postgres_only
def test_the_busy_probe_is_an_index_probe_on_postgresql(db: Any) -> None:
    # The task table keeps a week of finished rows: the probe must not scan them (migration core.0006).
    table = DBTaskResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT status FROM {table} WHERE task_path = %s AND status IN ('READY', 'RUNNING')",  # noqa: S608
            [JOB],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "core_open_task_path" in plan, plan
