"""The signed download link: owner only, expiry (410), cleanup of expired files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.exports.models import ExportJob
from khaibao.exports.tests.helpers import body, content, immediate_tasks, read_csv
from khaibao.passes.tests.helpers import sign_in_staff


@pytest.fixture
def ready(world: Any, api: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    """A finished background export of the Hà Nội province official, and its link."""
    settings.EXPORT_ROOT = tmp_path / "exports"
    immediate_tasks(settings)
    settings.EXPORT_STREAM_MAX_ROWS = 1
    resp = api.as_(world.province).post("/exports", body("stats"))
    assert resp.status_code == 202
    job = api.as_(world.province).get(f"/exports/{resp.json()['id']}").json()
    assert job["status"] == "done"
    return {"id": job["id"], "url": job["download_url"].removeprefix("http://testserver")}


def test_it_downloads_the_file_in_a_console_session(world: Any, client: Client, ready: dict[str, Any]) -> None:
    sign_in_staff(client, world.province)
    resp = client.get(ready["url"])
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith("attachment")
    rows = read_csv(content(resp))
    assert len(rows) - 1 == ExportJob.objects.get().row_count
    assert AuditEvent.objects.filter(action="export.download", actor=world.province).count() == 1


@pytest.mark.parametrize("who", ["province_hcm", "national", "ward_official"])
def test_it_hides_the_file_from_other_officials(world: Any, client: Client, ready: dict[str, Any], who: str) -> None:
    sign_in_staff(client, getattr(world, who))
    assert client.get(ready["url"]).status_code == 404
    assert not AuditEvent.objects.filter(action="export.download").exists()


def test_it_refuses_a_bad_or_missing_signature(world: Any, client: Client, ready: dict[str, Any]) -> None:
    sign_in_staff(client, world.province)
    base = ready["url"].split("?")[0]
    assert client.get(base).status_code == 404
    assert client.get(base + "?sig=" + ready["url"].split("sig=")[1][:-2] + "xx").status_code == 404
    assert not AuditEvent.objects.filter(action="export.download").exists()


def test_it_does_not_accept_one_jobs_signature_for_another(
    world: Any, api: Any, client: Client, ready: dict[str, Any]
) -> None:
    second = api.as_(world.province).post("/exports", body("stats", "xlsx")).json()["id"]
    sign_in_staff(client, world.province)
    sig = ready["url"].split("sig=")[1]
    assert client.get(f"/staff/exports/{second}/download/?sig={sig}").status_code == 404


def test_it_sends_strangers_to_sign_in(client: Client, ready: dict[str, Any]) -> None:
    resp = client.get(ready["url"])
    assert resp.status_code == 302
    assert resp["Location"].startswith("/staff/sign-in/")


def test_it_answers_410_once_the_link_expired(
    world: Any, client: Client, ready: dict[str, Any], settings: Any
) -> None:
    later = timezone.now() + timedelta(hours=settings.EXPORT_LINK_TTL_HOURS, minutes=1)
    with time_machine.travel(later, tick=False):
        # Signed in then (a staff session ends 12 h after sign-in): only the link is stale.
        sign_in_staff(client, world.province)
        resp = client.get(ready["url"])
    assert resp.status_code == 410
    assert "expired" in resp.content.decode() or "hết hạn" in resp.content.decode()
    assert not AuditEvent.objects.filter(action="export.download").exists()


def test_it_deletes_expired_files_in_the_cleanup_job(
    world: Any, api: Any, client: Client, ready: dict[str, Any], settings: Any
) -> None:
    from khaibao.exports.tasks import export_cleanup

    job = ExportJob.objects.get(pk=ready["id"])
    assert job.file_path is not None
    assert job.file_path.exists()
    assert export_cleanup.call() == 0
    assert job.file_path.exists()
    later = timezone.now() + timedelta(hours=settings.EXPORT_LINK_TTL_HOURS, minutes=1)
    with time_machine.travel(later, tick=False):
        assert export_cleanup.call() == 1
    assert not job.file_path.exists()
    assert ExportJob.objects.get(pk=job.pk).status == "expired"
    assert api.as_(world.province).get(f"/exports/{job.pk}").json()["download_url"] is None
    sign_in_staff(client, world.province)
    assert client.get(ready["url"]).status_code == 410


def test_it_registers_the_cleanup_as_an_hourly_job(settings: Any) -> None:
    assert ("khaibao.exports.tasks.export_cleanup", 3600) in settings.PERIODIC_TASKS
