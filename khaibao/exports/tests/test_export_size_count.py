"""Whether a triage or follow-up export streams or runs as a job is decided from one bounded count of the
filtered queue, not by building its first EXPORT_STREAM_MAX_ROWS + 1 rows in the request
(review "scale" #10: 109 statements and ~1 s per large export)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from khaibao.cases import followups, triage
from khaibao.cases.models import FollowUpCase
from khaibao.exports import sources
from khaibao.exports.models import ExportJob
from khaibao.exports.tests.helpers import body, content, read_csv
from khaibao.monitoring.models import PersonStatus
from khaibao.people.models import Person


@pytest.fixture(autouse=True)
def _export_root(settings: Any, tmp_path: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"


@pytest.fixture
def queued(world: Any, settings: Any) -> Any:
    """Six queued people: four of Hoàn Kiếm, two of Ba Đình; the stream limit at 3."""
    settings.EXPORT_STREAM_MAX_ROWS = 3
    since = timezone.now() - timedelta(hours=1)
    for i, ward in enumerate([world.hoan_kiem] * 4 + [world.ba_dinh] * 2):
        person = Person.objects.create(full_name=f"Cư dân {i}", birth_year=1970, sex="female", home_ward=ward)
        PersonStatus.objects.create(
            person=person, level="medium", home_ward=ward, home_province=world.hanoi, in_queue=True,
            queue_rank=1, queue_since=since,
        )
    return world


def test_it_queues_a_large_export_without_reading_its_rows(queued: Any, api: Any) -> None:
    with mock.patch.object(triage, "triage_queue", wraps=triage.triage_queue) as pages:
        resp = api.as_(queued.national).post("/exports", body("triage"))
    assert resp.status_code == 202, resp.content
    assert pages.call_count == 0
    job = ExportJob.objects.get()
    assert (job.status, job.streamed) == ("queued", False)
    assert job.estimated_rows >= 4


def test_it_streams_when_the_filters_bring_it_under_the_limit(queued: Any, api: Any) -> None:
    resp = api.as_(queued.national).post("/exports", body("triage", ward=queued.ba_dinh.code))
    assert resp.status_code == 200, resp.content
    rows = read_csv(content(resp))
    assert len(rows) == 1 + 2
    job = ExportJob.objects.get()
    assert (job.status, job.streamed, job.row_count) == ("done", True, 2)


# --- the follow-up list: the same bounded count (followups.followup_matching) ------------------


@pytest.fixture
def followed(world: Any, settings: Any) -> Any:
    """Six open follow-up cases: four of Hoàn Kiếm, two of Ba Đình; the stream limit at 3."""
    settings.EXPORT_STREAM_MAX_ROWS = 3
    for i, ward in enumerate([world.hoan_kiem] * 4 + [world.ba_dinh] * 2):
        person = Person.objects.create(full_name=f"Người theo dõi {i}", birth_year=1970, sex="female", home_ward=ward)
        FollowUpCase.objects.create(person=person)
    return world


def test_it_queues_a_large_followup_export_without_reading_its_rows(followed: Any, api: Any) -> None:
    with mock.patch.object(sources, "followup_list", wraps=followups.followup_list) as rows:
        resp = api.as_(followed.national).post("/exports", body("followups"))
    assert resp.status_code == 202, resp.content
    assert rows.call_count == 0  # decided by the count; the job builds the rows
    job = ExportJob.objects.get()
    assert (job.status, job.streamed) == ("queued", False)
    assert job.estimated_rows >= 4


def test_it_streams_a_followup_export_the_filters_bring_under_the_limit(followed: Any, api: Any) -> None:
    resp = api.as_(followed.national).post("/exports", body("followups", ward=followed.ba_dinh.code))
    assert resp.status_code == 200, resp.content
    rows = read_csv(content(resp))
    assert len(rows) == 1 + 2
    job = ExportJob.objects.get()
    assert (job.status, job.streamed, job.row_count) == ("done", True, 2)
