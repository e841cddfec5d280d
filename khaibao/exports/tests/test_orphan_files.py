"""No export file outlives its export: the hourly cleanup also deletes files in EXPORT_ROOT that no
live export names once they are older than any link to them can be — a small export kept by a
request that rolled back, a worker killed mid-write (`.part`), a file whose job is gone."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from khaibao.exports.cleanup import export_cleanup, export_orphans_delete
from khaibao.exports.models import ExportJob, Status


@pytest.fixture
def root(settings: Any, tmp_path: Path) -> Path:
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.EXPORT_ROOT.mkdir()
    return Path(settings.EXPORT_ROOT)


def _file(root: Path, name: str, *, hours_old: float) -> Path:
    path = root / name
    path.write_bytes(b"ho_ten,so_dien_thoai\n")
    stamp = (timezone.now() - timedelta(hours=hours_old)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def _job(world: Any, name: str, *, status: str, expires_in_hours: float) -> ExportJob:
    return ExportJob.objects.create(
        owner=world.province, kind="triage", format="csv", status=status, file_name=name,
        expires_at=timezone.now() + timedelta(hours=expires_in_hours),
    )


def test_old_files_no_export_names_are_deleted_and_the_rest_kept(world: Any, root: Path, settings: Any) -> None:
    old = settings.EXPORT_LINK_TTL_HOURS + 2
    orphan = _file(root, "41-aaaaaaaaaaaaaaaa.csv", hours_old=old)  # its request rolled back: no job names it
    part = _file(root, "42-bbbbbbbbbbbbbbbb.csv.part", hours_old=old)  # a worker killed while writing
    of_expired = _file(root, "43-cccccccccccccccc.csv", hours_old=old)  # named only by an expired job
    _job(world, "43-cccccccccccccccc.csv", status=Status.EXPIRED, expires_in_hours=-3)
    fresh = _file(root, "44-dddddddddddddddd.csv", hours_old=0.5)  # being written or just kept: never touched
    named = _file(root, "45-eeeeeeeeeeeeeeee.csv", hours_old=old)  # old, but a live export names it
    _job(world, "45-eeeeeeeeeeeeeeee.csv", status=Status.DONE, expires_in_hours=5)
    (root / "sub").mkdir()
    other = _file(root, "README.txt", hours_old=old)  # not an export's name: never touched
    link = root / "99-0123456789abcdef.csv"
    link.symlink_to(other)  # a link is not a file of ours either
    os.utime(link, (0, 0), follow_symlinks=False)

    assert export_orphans_delete() == 3
    assert [path.exists() for path in (orphan, part, of_expired)] == [False, False, False]
    assert [path.exists() for path in (fresh, named, root / "sub", other, link)] == [True] * 5
    assert export_orphans_delete() == 0


def test_the_hourly_cleanup_deletes_them_too(world: Any, root: Path, settings: Any) -> None:
    orphan = _file(root, "51-ffffffffffffffff.xlsx", hours_old=settings.EXPORT_LINK_TTL_HOURS + 2)
    assert export_cleanup() == 0  # (it counts the jobs it expired)
    assert not orphan.exists()


def test_a_file_gone_meanwhile_does_not_stop_the_pass(world: Any, root: Path, settings: Any, monkeypatch: Any) -> None:
    old = settings.EXPORT_LINK_TTL_HOURS + 2
    gone = _file(root, "61-0000000000000000.csv.part", hours_old=old)
    orphan = _file(root, "62-1111111111111111.csv", hours_old=old)
    listed = os.scandir

    def listed_then_renamed(path: Any) -> Any:
        entries = list(listed(path))
        gone.unlink()  # a finishing export renamed its .part between the listing and the look
        return iter(entries)

    monkeypatch.setattr(os, "scandir", listed_then_renamed)
    assert export_orphans_delete() == 1
    assert not orphan.exists()


def test_a_missing_folder_is_nothing_to_clean(settings: Any, tmp_path: Path, db: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "never-made"
    assert export_orphans_delete() == 0
