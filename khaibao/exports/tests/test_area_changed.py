"""An export's file is handed out only while its owner covers the area it was made for
(exports/downloads.py, `ExportAreaChanged`): an official moved to another ward no longer gets the
list of the people they left — by its signed link, or by a retry of the request with its
Idempotency-Key — and an organisation admin moved to another unit neither."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.apps import apps

from khaibao.audit.models import AuditEvent
from khaibao.exports.models import ExportJob
from khaibao.exports.services import export_run
from khaibao.exports.tests.helpers import body, content, declare_everyone, immediate_tasks, read_csv


@pytest.fixture(autouse=True)
def _export_root(settings: Any, tmp_path: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"


def _names(response: Any) -> list[str]:
    return [row[1] for row in read_csv(content(response))[1:]]


def _move(official: Any, ward: Any) -> None:
    official.scope_ward = ward
    official.save(update_fields=["scope_ward"])


def test_a_retried_export_after_a_move_to_another_ward_is_refused(world: Any, api: Any) -> None:
    declare_everyone(world, api)
    official = world.ward_official  # Hoàn Kiếm: Lan's father is in the triage queue
    client = api.as_(official)
    first = client.post("/exports", body("triage"), headers={"Idempotency-Key": "exp-1"})
    assert "Nguyễn Văn Bình" in _names(first)
    again = client.post("/exports", body("triage"), headers={"Idempotency-Key": "exp-1"})
    assert again.status_code == 200  # the same area: the same file again

    _move(official, world.ba_dinh)
    moved = client.post("/exports", body("triage"), headers={"Idempotency-Key": "exp-1"})

    assert moved.status_code == 410
    assert moved.json()["error"]["code"] == "export_area_changed"
    assert "Nguyễn Văn Bình" not in moved.content.decode()
    assert "Nguyễn Văn Bình" not in _names(client.post("/exports", body("triage")))  # a new one is of the new ward


def test_a_download_link_after_a_move_to_another_ward_is_refused(world: Any, api: Any, settings: Any) -> None:
    immediate_tasks(settings)
    settings.EXPORT_STREAM_MAX_ROWS = 0  # a background job with a signed link
    declare_everyone(world, api)
    official = world.ward_official
    client = api.as_(official)
    job_id = client.post("/exports", body("triage")).json()["id"]
    url = client.get(f"/exports/{job_id}").json()["download_url"].replace("http://testserver", "")
    auth = {"Authorization": f"Bearer {client.token}"}
    assert client.client.get(url, headers=auth).status_code == 200
    downloads = AuditEvent.objects.filter(action="export.download").count()

    _move(official, world.ba_dinh)
    moved = client.client.get(url, headers=auth)

    assert moved.status_code == 410
    assert "Nguyễn Văn Bình" not in moved.content.decode()
    assert "không còn phụ trách" in moved.content.decode()  # the console's page says why, in Vietnamese
    assert AuditEvent.objects.filter(action="export.download").count() == downloads  # nothing handed out

    _move(official, world.hoan_kiem)  # back where it was made: the file is theirs again
    assert client.client.get(url, headers=auth).status_code == 200


def test_a_job_records_the_area_its_rows_were_read_for(world: Any, api: Any, settings: Any) -> None:
    # A queued job's rows are read by the worker with the owner's area as it is then.
    settings.EXPORT_STREAM_MAX_ROWS = 0
    declare_everyone(world, api)
    official = world.ward_official
    job_id = api.as_(official).post("/exports", body("triage")).json()["id"]
    _move(official, world.ba_dinh)
    export_run(job_id=job_id)

    official.refresh_from_db()
    assert ExportJob.objects.get(pk=job_id).area == official.area_key


def test_a_job_made_before_the_rule_stays_its_unmoved_owners(world: Any, api: Any) -> None:
    # The migration that brought `area` gives older jobs their owner's area as it is then.
    migration = import_module("khaibao.exports.migrations.0005_export_area")
    declare_everyone(world, api)
    client = api.as_(world.ward_official)
    client.post("/exports", body("triage"), headers={"Idempotency-Key": "exp-old"})
    ExportJob.objects.update(area="")

    migration.areas_of_owners(apps, None)

    assert set(ExportJob.objects.values_list("area", flat=True)) == {world.ward_official.area_key}
    assert client.post("/exports", body("triage"), headers={"Idempotency-Key": "exp-old"}).status_code == 200
