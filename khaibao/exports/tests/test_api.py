"""POST/GET /api/v1/exports: streaming, background jobs, reason, cap, roles, audit."""

from __future__ import annotations

import os
import stat
from typing import Any

import pytest
from django.test import Client

from khaibao.audit.models import AuditEvent
from khaibao.exports.models import ExportJob
from khaibao.exports.tests.helpers import (
    REASON,
    body,
    content,
    declare_everyone,
    immediate_tasks,
    read_csv,
    read_xlsx,
    refresh_stats,
)


@pytest.fixture(autouse=True)
def _export_root(settings: Any, tmp_path: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"


def test_it_streams_a_small_csv_export(world: Any, api: Any) -> None:
    declare_everyone(world, api)
    refresh_stats()
    resp = api.as_(world.province_hcm).post("/exports", body("stats"))
    assert resp.status_code == 200
    assert resp.streaming
    assert resp["Content-Type"].startswith("text/csv")
    assert "attachment" in resp["Content-Disposition"]
    rows = read_csv(content(resp))
    by_code = {row[1]: row for row in rows[1:]}
    assert str(world.sai_gon.code) in by_code
    assert by_code[str(world.sai_gon.code)][2] == world.sai_gon.name
    assert by_code[str(world.sai_gon.code)][4] == "1"  # Hùng's risk-factor declaration
    job = ExportJob.objects.get()
    assert (job.status, job.streamed, job.row_count, job.progress) == ("done", True, len(rows) - 1, 100)


def test_it_streams_a_small_xlsx_export(world: Any, api: Any) -> None:
    declare_everyone(world, api)
    refresh_stats()
    resp = api.as_(world.ward_official).post("/exports", body("stats", "xlsx"))
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = read_xlsx(content(resp))
    assert len(rows) == 2  # the header and Hoàn Kiếm, the ward official's only ward
    assert rows[1][1] == world.hoan_kiem.code  # numbers stay numbers
    assert rows[1][2] == world.hoan_kiem.name
    assert rows[1][3] == 2  # Lan's and her father's declarations


def test_it_never_stores_a_streamed_file_under_an_idempotency_key(world: Any, api: Any) -> None:
    """The key keeps the job's id only (a retry streams the job's file again: test_idempotent_exports)."""
    from khaibao.core.models import IdempotencyRecord

    resp = api.as_(world.province).post("/exports", body("stats"), headers={"Idempotency-Key": "k1"})
    assert resp.status_code == 200
    record = IdempotencyRecord.objects.get()
    assert record.content_type == "application/vnd.khaibao.export-replay+json"
    assert b"," not in bytes(record.body)  # {"export_id": …}, no CSV line


def test_it_requires_a_reason(world: Any, api: Any) -> None:
    for reason in ("", "   ", "quá ngắn"):
        resp = api.as_(world.province).post("/exports", body("stats", reason=reason))
        assert resp.status_code == 400
        assert "reason" in resp.json()["error"]["fields"]
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="export.").exists()


def test_it_refuses_unknown_kinds_formats_and_filters(world: Any, api: Any) -> None:
    client = api.as_(world.province)
    resp = client.post("/exports", {**body("stats"), "kind": "people", "format": "pdf"})
    assert resp.status_code == 400
    assert {"kind", "format"} <= set(resp.json()["error"]["fields"])
    resp = client.post("/exports", body("stats", bogus="1"))
    assert resp.status_code == 400
    assert "filters.bogus" in resp.json()["error"]["fields"]
    resp = client.post("/exports", body("stats", date="hôm qua"))
    assert resp.status_code == 400
    assert "filters.date" in resp.json()["error"]["fields"]
    resp = client.post("/exports", {**body("stats"), "extra": 1})
    assert resp.status_code == 400
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("who", ["lan", "checkpoint", "org_admin", "dpo"])
def test_it_refuses_exports_to_anyone_but_officials(world: Any, api: Any, who: str) -> None:
    resp = api.as_(getattr(world, who)).post("/exports", body("stats"))
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"
    assert api.as_(getattr(world, who)).get("/exports").status_code == 403
    assert not ExportJob.objects.exists()


def test_it_caps_exports_per_official_per_day(world: Any, api: Any, settings: Any) -> None:
    settings.EXPORT_DAILY_CAP = 2
    client = api.as_(world.province)
    assert client.post("/exports", body("stats")).status_code == 200
    assert client.post("/exports", body("stats", "xlsx")).status_code == 200
    resp = client.post("/exports", body("stats"))
    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "rate_limited"
    assert "2" in resp.json()["error"]["message"]
    assert int(resp["Retry-After"]) > 0
    assert ExportJob.objects.count() == 2
    # The cap is per official.
    assert api.as_(world.province_hcm).post("/exports", body("stats")).status_code == 200


def test_it_audits_each_export_without_the_reason_in_clear(world: Any, api: Any) -> None:
    resp = api.as_(world.province).post("/exports", body("stats", "xlsx"))
    assert resp.status_code == 200
    job = ExportJob.objects.get()
    event = AuditEvent.objects.get(action="export.create")
    assert event.actor_id == world.province.id
    assert event.object_id == str(job.pk)
    assert event.data == {"kind": "stats", "format": "xlsx", "rows": job.row_count, "mode": "stream"}
    assert REASON not in str(event.data)
    assert REASON not in event.reason
    assert job.reason == REASON
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM exports_exportjob WHERE id = %s", [job.pk])
        stored = cursor.fetchone()[0]
    assert REASON not in stored  # encrypted at rest


def test_it_runs_a_large_export_in_the_background(world: Any, api: Any, settings: Any) -> None:
    immediate_tasks(settings)
    settings.EXPORT_STREAM_MAX_ROWS = 1
    declare_everyone(world, api)
    refresh_stats()
    client = api.as_(world.province_hcm)
    resp = client.post("/exports", body("stats", "xlsx"))
    assert resp.status_code == 202
    job_id = resp.json()["id"]
    assert resp.json()["status"] in {"queued", "done"}
    resp = client.get(f"/exports/{job_id}")
    assert resp.status_code == 200
    job = resp.json()
    assert (job["status"], job["progress"]) == ("done", 100)
    assert job["row_count"] > 1
    assert "/staff/exports/" in job["download_url"]
    assert "sig=" in job["download_url"]
    download = Client().get(job["download_url"], headers={"Authorization": f"Bearer {client.token}"})
    assert download.status_code == 200
    rows = read_xlsx(content(download))
    assert len(rows) == job["row_count"] + 1
    names = {row[2] for row in rows[1:]}
    assert world.sai_gon.name in names
    assert world.hoan_kiem.name not in names
    actions = list(AuditEvent.objects.filter(action__startswith="export.").values_list("action", flat=True))
    assert actions == ["export.create", "export.complete", "export.download"]
    stored = ExportJob.objects.get(pk=job_id)
    assert stored.downloaded_at is not None
    # The file on disk is readable by the app's user only.
    assert stat.S_IMODE(os.stat(stored.file_path).st_mode) == 0o600


def test_it_queues_a_large_export_for_the_worker(world: Any, api: Any, settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.EXPORT_STREAM_MAX_ROWS = 1
    resp = api.as_(world.province).post("/exports", body("stats"))
    assert resp.status_code == 202
    assert resp.json()["status"] == "queued"
    assert resp.json()["download_url"] is None
    task = DBTaskResult.objects.get()
    assert task.task_path == "khaibao.exports.tasks.export_run"
    assert task.args_kwargs["args"] == [resp.json()["id"]]


def test_it_shows_a_job_only_to_its_owner(world: Any, api: Any, settings: Any) -> None:
    settings.EXPORT_STREAM_MAX_ROWS = 1
    job_id = api.as_(world.province).post("/exports", body("stats")).json()["id"]
    assert api.as_(world.province).get(f"/exports/{job_id}").status_code == 200
    for other in (world.province_hcm, world.national, world.ward_official):
        resp = api.as_(other).get(f"/exports/{job_id}")
        assert resp.status_code == 404
        assert resp.json()["error"]["code"] == "not_found"
        assert api.as_(other).get("/exports").json()["items"] == []
    assert [item["id"] for item in api.as_(world.province).get("/exports").json()["items"]] == [job_id]
