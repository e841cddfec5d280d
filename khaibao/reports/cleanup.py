"""The hourly sweep of report photo files no report names (reports.tasks.report_photos_sweep).

A photo's file is written before its row commits, so that a committed row always has its file.
When the row never commits, the file is left behind: the caller's transaction rolled back after
report_submit returned (two posts with one Idempotency-Key or submission key, a 5xx), or the
process was killed before the commit. Django tells nobody of a rollback, and such a file is a
citizen's picture that nothing can serve and retention never finds (it erases photos by their
rows): this sweep deletes it once it is old enough that no transaction can still commit its row.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from khaibao.reports.models import ReportPhoto
from khaibao.reports.photos import PHOTO_FILE_NAME

logger = logging.getLogger(__name__)

# A file younger than this may belong to a report whose transaction is still open (a request with
# its photos lasts seconds): it is never taken for an orphan.
ORPHAN_AGE: Final = timedelta(hours=1)
# Report directories looked into per run: one run stays short however many reports have photos;
# the next run goes on after the last one (SWEEP_CURSOR_KEY), back to the start at the end.
MAX_DIRECTORIES: Final = 5000
# Paths looked up in one query.
_BATCH: Final = 500
SWEEP_CURSOR_KEY: Final = "reports:photo-sweep:after"
# A week: a lost cursor only means the next run starts again from the first directory.
_CURSOR_TTL_SECONDS: Final = 7 * 24 * 3600
# The directories photo_relative_path makes (a report's id); nothing else in the root is touched.
_REPORT_DIRECTORY: Final = re.compile(r"[0-9]{1,18}")


def _old_file(entry: os.DirEntry[str], cutoff: float) -> bool:
    """A regular file (not a link) last written before `cutoff`; False for one gone meanwhile."""
    try:
        return entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff
    except FileNotFoundError:
        return False


def _report_directories(root: Path, after: int) -> list[tuple[int, str]]:
    """(report id, path) of the report directories after `after`, in id order, at most
    MAX_DIRECTORIES."""
    found = []
    with os.scandir(root) as entries:
        for entry in entries:
            if _REPORT_DIRECTORY.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                found.append((int(entry.name), entry.path))
    found.sort()
    return [item for item in found if item[0] > after][:MAX_DIRECTORIES]


def _directory_sweep(directory: str, report_id: int, cutoff: float) -> int:
    try:
        with os.scandir(directory) as entries:
            old = [e for e in entries if PHOTO_FILE_NAME.fullmatch(e.name) and _old_file(e, cutoff)]
    except FileNotFoundError:
        return 0
    deleted = 0
    for start in range(0, len(old), _BATCH):
        batch = {f"{report_id}/{entry.name}": entry for entry in old[start:start + _BATCH]}
        named = set(ReportPhoto.objects.filter(path__in=list(batch)).values_list("path", flat=True))
        for relative, entry in batch.items():
            if relative not in named:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    deleted += 1
    return deleted


def _directory_remove_if_idle(directory: str, cutoff: float) -> None:
    # Only a directory untouched for ORPHAN_AGE (deleting a file touches it: that one goes on the
    # next round): report_submit writes into a directory it has just made, and tries again should
    # it be removed in between (services._write_new).
    with contextlib.suppress(OSError):
        if os.stat(directory).st_mtime < cutoff:
            os.rmdir(directory)  # refused unless empty


def report_photos_sweep(*, now: datetime | None = None) -> int:
    """Delete the photo files under REPORT_MEDIA_ROOT older than ORPHAN_AGE that no ReportPhoto
    row names, and the report directories left empty (a rolled-back report's, or one whose photos
    retention erased). Looks into at most MAX_DIRECTORIES directories, in report id order, going on
    from where the previous run stopped. Returns how many files were deleted."""
    root = Path(settings.REPORT_MEDIA_ROOT)
    cutoff = ((now or timezone.now()) - ORPHAN_AGE).timestamp()
    after = cache.get(SWEEP_CURSOR_KEY, -1)
    try:
        directories = _report_directories(root, after)
    except FileNotFoundError:
        return 0
    deleted = 0
    for report_id, directory in directories:
        deleted += _directory_sweep(directory, report_id, cutoff)
        _directory_remove_if_idle(directory, cutoff)
    finished = len(directories) < MAX_DIRECTORIES
    cache.set(SWEEP_CURSOR_KEY, -1 if finished else directories[-1][0], _CURSOR_TTL_SECONDS)
    if deleted:
        logger.info("report photo sweep: %s file(s) no report names deleted", deleted)
    return deleted
