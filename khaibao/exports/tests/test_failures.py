"""No export stays stuck: any failure (the folder included) marks it failed with a reason the
official reads; one whose worker died is retried, then failed; a lost enqueue is made again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from khaibao.exports.models import ExportJob
from khaibao.exports.tasks import exports_sweep
from khaibao.exports.tests.helpers import REASON, body, immediate_tasks
from khaibao.passes.tests.helpers import sign_in_staff

URL = "/staff/exports/"


@pytest.fixture(autouse=True)
def _large(settings: Any, tmp_path: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.EXPORT_STREAM_MAX_ROWS = 1  # every export is a background job


def test_it_fails_an_export_whose_folder_cannot_be_created_and_says_why(
    world: Any, api: Any, client: Client, settings: Any, tmp_path: Any
) -> None:
    immediate_tasks(settings)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export folder should be")
    settings.EXPORT_ROOT = blocker / "exports"
    official = api.as_(world.province)

    job_id = official.post("/exports", body("stats")).json()["id"]

    job = official.get(f"/exports/{job_id}", headers={"Accept-Language": "en"}).json()
    assert job["status"] == "failed"
    assert job["failure"]["code"] == "storage"
    assert "storage problem" in job["failure"]["label"]
    sign_in_staff(client, world.province)
    page = client.get(URL, headers={"Accept-Language": "vi"}).content.decode()
    assert "Không ghi được tệp trên máy chủ" in page  # the reason, in Vietnamese
    assert "hx-get" not in page.split(f'id="export-{job_id}"')[1].split("</tr>")[0]  # polling stopped
    # A failed export gave nothing: it does not use up the day's cap.
    settings.EXPORT_DAILY_CAP = 1
    assert official.post("/exports", body("stats")).status_code == 202


def _start_and_die(job_id: int, worker: str) -> str:
    """A worker claims the export's task and starts the job, then dies (kill -9: nothing more)."""
    row = DBTaskResult.objects.filter(status=TaskResultStatus.READY, args_kwargs__args=[job_id]).get()
    started = timezone.now() - timedelta(minutes=10)
    DBTaskResult.objects.filter(pk=row.pk).update(status=TaskResultStatus.RUNNING, worker_ids=[worker],
                                                  started_at=started)
    ExportJob.objects.filter(pk=job_id).update(status="running", task_id=str(row.pk), attempts=1 + ExportJob.objects.get(
        pk=job_id).attempts, progress=40)
    return str(row.pk)


def test_it_retries_an_export_whose_worker_died_then_fails_it(world: Any, api: Any, settings: Any) -> None:
    settings.EXPORT_MAX_ATTEMPTS = 2
    official = api.as_(world.province)
    job_id = official.post("/exports", body("stats")).json()["id"]

    _start_and_die(job_id, "host-1-4242")
    assert exports_sweep.call() == {"retried": 1, "failed": 0, "requeued": 0}
    assert official.get(f"/exports/{job_id}").json()["status"] == "queued"
    # Queued again: a fresh task row waits for a worker.
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY, args_kwargs__args=[job_id]).count() == 1

    _start_and_die(job_id, "host-2-4343")
    assert exports_sweep.call() == {"retried": 0, "failed": 1, "requeued": 0}
    job = official.get(f"/exports/{job_id}").json()
    assert job["status"] == "failed"
    assert job["failure"]["code"] == "interrupted"


def test_it_leaves_an_export_alone_while_its_worker_lives(world: Any, api: Any) -> None:
    from khaibao.core.workers import worker_alive

    official = api.as_(world.province)
    job_id = official.post("/exports", body("stats")).json()["id"]
    _start_and_die(job_id, "host-1-4242")
    worker_alive("host-1-4242")  # it is only slow

    assert exports_sweep.call() == {"retried": 0, "failed": 0, "requeued": 0}
    assert official.get(f"/exports/{job_id}").json()["status"] == "running"


def test_it_enqueues_again_an_export_whose_enqueue_was_lost(world: Any, api: Any, settings: Any, time_machine: Any) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    official = api.as_(world.province)
    job_id = official.post("/exports", body("stats", reason=REASON)).json()["id"]
    DBTaskResult.objects.all().delete()  # the process died between the commit and the enqueue

    assert exports_sweep.call()["requeued"] == 0  # too early to tell from a busy queue
    time_machine.shift(timedelta(seconds=settings.EXPORT_REQUEUE_AFTER_SECONDS + 1))
    assert exports_sweep.call()["requeued"] == 1
    assert exports_sweep.call()["requeued"] == 0  # one task waiting is enough
    assert DBTaskResult.objects.filter(args_kwargs__args=[job_id], status=TaskResultStatus.READY).count() == 1
