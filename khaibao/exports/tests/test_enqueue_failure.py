"""A background export whose enqueue fails after its job committed is still answered 202: the job
exists and exports_sweep enqueues it again after EXPORT_REQUEUE_AFTER_SECONDS. It answered 503,
and the official's retry made a second export of the same personal data (and spent the daily cap
twice)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError

from khaibao.exports import services as export_services
from khaibao.exports.models import ExportJob
from khaibao.exports.tests.helpers import body


# A real transaction (the reference data kept): on_commit callbacks run as in production.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_answers_the_saved_job_when_its_enqueue_fails_after_the_commit(
    world: Any, api: Any, settings: Any, tmp_path: Any
) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.EXPORT_STREAM_MAX_ROWS = 0  # a background job
    official = api.as_(world.province)
    official.client.raise_request_exception = False

    with mock.patch.object(export_services, "_enqueue", side_effect=OperationalError("lock timeout")):
        resp = official.post("/exports", body("stats"))

    assert resp.status_code == 202, resp.content
    job = ExportJob.objects.get()
    assert (resp.json()["id"], job.status) == (job.pk, "queued")  # the sweep will enqueue it again
