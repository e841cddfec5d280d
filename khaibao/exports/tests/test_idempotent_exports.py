"""POST /exports with an Idempotency-Key: a retry streams the same job's file again — one job,
counted once against the daily cap; another body with the same key is 422 (docs/api.md,
"Which writes take the key")."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.core.models import IdempotencyRecord
from khaibao.exports.cleanup import export_cleanup
from khaibao.exports.models import ExportJob
from khaibao.exports.services import exports_today
from khaibao.exports.tests.helpers import body, content, declare_everyone, read_csv, refresh_stats

KEY = {"Idempotency-Key": "export-1"}


@pytest.fixture(autouse=True)
def _export_root(settings: Any, tmp_path: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"


def test_it_streams_the_same_job_again_to_a_retry(world: Any, api: Any) -> None:
    declare_everyone(world, api)
    refresh_stats()
    client = api.as_(world.province_hcm)
    first = client.post("/exports", body("stats"), headers=KEY)
    assert first.status_code == 200
    first_bytes = content(first)
    again = client.post("/exports", body("stats"), headers=KEY)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert content(again) == first_bytes
    for header in ("X-Export-Id", "Content-Type", "Content-Disposition", "Cache-Control"):
        assert again[header] == first[header], header
    job = ExportJob.objects.get()
    assert first["X-Export-Id"] == str(job.pk)
    assert exports_today(world.province_hcm, timezone.now()) == 1
    assert AuditEvent.objects.filter(action="export.create").count() == 1
    assert read_csv(first_bytes)[0][1]  # a real file, header and all
    # The key keeps the job's id, never the file's content.
    record = IdempotencyRecord.objects.get()
    assert bytes(record.body) == f'{{"export_id": {job.pk}}}'.encode()


def test_it_refuses_another_body_with_the_same_key(world: Any, api: Any) -> None:
    client = api.as_(world.province)
    assert client.post("/exports", body("stats"), headers=KEY).status_code == 200
    other = client.post("/exports", body("stats", "xlsx"), headers=KEY)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert ExportJob.objects.count() == 1


def test_a_retry_counts_once_against_the_daily_cap(world: Any, api: Any, settings: Any) -> None:
    settings.EXPORT_DAILY_CAP = 1
    client = api.as_(world.province)
    assert client.post("/exports", body("stats"), headers=KEY).status_code == 200
    assert client.post("/exports", body("stats"), headers=KEY).status_code == 200
    assert client.post("/exports", body("stats"), headers={"Idempotency-Key": "export-2"}).status_code == 429


def test_a_retry_after_the_file_is_gone_answers_as_an_expired_link(world: Any, api: Any) -> None:
    client = api.as_(world.province)
    assert client.post("/exports", body("stats"), headers=KEY).status_code == 200
    ExportJob.objects.update(expires_at=timezone.now())
    export_cleanup()
    again = client.post("/exports", body("stats"), headers=KEY)
    assert again.status_code == 410
    assert again.json()["error"]["code"] == "export_expired"
    assert ExportJob.objects.count() == 1


def test_without_a_key_nothing_is_kept(world: Any, api: Any) -> None:
    resp = api.as_(world.province).post("/exports", body("stats"))
    assert resp.status_code == 200
    content(resp)
    assert ExportJob.objects.get().file_name == ""
    assert not IdempotencyRecord.objects.exists()
