"""A report rolled back by its caller leaves neither a photo file for ever nor a charge on the
citizen's hourly reports (fault review: four posts with one Idempotency-Key left 1 report, 1 photo
row and 4 files; the 3 orphans were never purged)."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from khaibao.core.testing import at_once
from khaibao.reports import services
from khaibao.reports.cleanup import MAX_DIRECTORIES, report_photos_sweep
from khaibao.reports.models import Report, ReportPhoto
from khaibao.reports.tasks import report_photos_sweep as sweep_task
from khaibao.reports.tests.helpers import (
    HOAN_KIEM,
    jpeg_bytes,
    png_bytes,
    report_body,
    submit_multipart,
    upload,
)


def _files() -> list[Path]:
    return sorted(p for p in Path(django_settings.REPORT_MEDIA_ROOT).rglob("*") if p.is_file())


def _later(hours: float) -> Any:
    return timezone.now() + timedelta(hours=hours)


def _submit_rolled_back(actor: Any) -> None:
    """report_submit succeeds, then its caller's transaction rolls back (as the losing twin of an
    Idempotency-Key or a submission key does)."""
    data = services.ReportInput(
        category="gathering", ward_code=HOAN_KIEM, address="Số 5 phố Hàng Bài", description="Tụ tập đông người.",
        happened_at=timezone.now() - timedelta(hours=1),
    )
    photo = services.PhotoUpload(name="a.jpg", content_type="image/jpeg", data=jpeg_bytes())
    with transaction.atomic():
        services.report_submit(actor=actor, data=data, photos=[photo], ip="203.0.113.9")
        transaction.set_rollback(True)


def test_it_sweeps_the_photo_files_of_a_rolled_back_report(world: Any, api: Any) -> None:
    kept = submit_multipart(api.as_(world.lan), report_body(), [upload("a.png", png_bytes(), "image/png")])
    assert kept.status_code == 201, kept.content
    _submit_rolled_back(world.lan)
    assert Report.objects.count() == ReportPhoto.objects.count() == 1
    assert len(_files()) == 2
    # Not before an hour: the row of a file just written may be about to commit.
    assert report_photos_sweep() == 0
    assert len(_files()) == 2

    assert report_photos_sweep(now=_later(1.1)) == 1
    photo = ReportPhoto.objects.get()
    assert _files() == [Path(django_settings.REPORT_MEDIA_ROOT) / photo.path]
    # The rolled-back report's directory went too; the kept photo is still served.
    assert sorted(os.listdir(django_settings.REPORT_MEDIA_ROOT)) == [str(photo.report_id)]
    assert api.as_(world.lan).get(f"/reports/{kept.json()['id']}/photos/{photo.pk}").status_code == 200


def test_it_touches_only_the_files_it_names(world: Any, api: Any) -> None:
    root = Path(django_settings.REPORT_MEDIA_ROOT)
    (root / "7").mkdir(parents=True)
    strangers = [root / "README", root / "7" / "notes.txt", root / "7" / ("a" * 32 + ".gif")]
    for path in strangers:
        path.write_text("not a report photo")
    orphan = root / "7" / ("b" * 32 + ".jpg")
    orphan.write_bytes(jpeg_bytes())
    assert report_photos_sweep(now=_later(2)) == 1
    assert not orphan.exists()
    assert all(path.exists() for path in strangers)


def test_it_goes_on_where_the_previous_run_stopped(world: Any, settings: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("khaibao.reports.cleanup.MAX_DIRECTORIES", 2)
    root = Path(settings.REPORT_MEDIA_ROOT)
    for report_id in (3, 10, 21):
        (root / str(report_id)).mkdir(parents=True)
        (root / str(report_id) / ("c" * 32 + ".png")).write_bytes(png_bytes())
    assert report_photos_sweep(now=_later(2)) == 2  # reports 3 and 10
    assert report_photos_sweep(now=_later(2)) == 1  # report 21, then back to the start
    assert _files() == []
    assert MAX_DIRECTORIES >= 1000


def test_the_task_runs_the_sweep(world: Any, settings: Any) -> None:
    root = Path(settings.REPORT_MEDIA_ROOT) / "5"
    root.mkdir(parents=True)
    orphan = root / ("d" * 32 + ".webp")
    orphan.write_bytes(b"x")
    old = (timezone.now() - timedelta(hours=2)).timestamp()
    os.utime(orphan, (old, old))
    assert sweep_task.call() == 1
    assert not orphan.exists()


def test_a_rolled_back_report_does_not_count_against_the_rate_limit(world: Any, api: Any, settings: Any) -> None:
    settings.REPORT_RATE_PER_ACCOUNT = 1
    _submit_rolled_back(world.lan)
    client = api.as_(world.lan)
    assert client.post("/reports", report_body()).status_code == 201
    assert client.post("/reports", report_body()).status_code == 429


def test_the_sweep_is_scheduled_hourly() -> None:
    assert ("khaibao.reports.tasks.report_photos_sweep", 3600) in django_settings.PERIODIC_TASKS


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_posts_with_one_key_leave_one_file_and_one_charge(world: Any, api: Any, settings: Any) -> None:
    settings.REPORT_RATE_PER_ACCOUNT = 2
    token = api.as_(world.lan).token

    def send(key: str) -> Any:
        body: dict[str, Any] = {k: str(v) for k, v in report_body().items()}
        photo = io.BytesIO(jpeg_bytes())
        photo.name = "a.jpg"
        body["photos"] = photo
        return Client().post(
            "/api/v1/reports", body, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        )

    answers = at_once([lambda: send("same-key") for _ in range(4)])
    assert {a.status_code for a in answers} == {201}
    assert Report.objects.count() == ReportPhoto.objects.count() == 1
    report_photos_sweep(now=_later(1.1))
    assert _files() == [Path(settings.REPORT_MEDIA_ROOT) / ReportPhoto.objects.get().path]
    # One report accepted, one charged: a second one within the hour is still allowed.
    assert send("another-key").status_code == 201
    assert send("a-third-key").status_code == 429
