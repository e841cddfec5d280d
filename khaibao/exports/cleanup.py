"""The hourly cleanup of export files (exports.tasks.export_cleanup): an export's file lives as
long as its link (EXPORT_LINK_TTL_HOURS), and no file outlives the export that names it."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from django.conf import settings
from django.utils import timezone

from khaibao.exports.models import ExportJob, Status

logger = logging.getLogger(__name__)


def export_cleanup(*, now: datetime | None = None) -> int:
    """Delete the files of expired exports and mark them expired; returns how many jobs."""
    now = now or timezone.now()
    count = 0
    due = ExportJob.objects.filter(expires_at__lte=now).exclude(status=Status.EXPIRED).only("pk", "file_name")
    for job in due.iterator():
        path = job.file_path
        if path is not None:
            path.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(status=Status.EXPIRED, file_name="")
        count += 1
    orphans = export_orphans_delete(now=now)
    if orphans:
        logger.info("export cleanup: %s file(s) no export names deleted", orphans)
    return count


# How old a file in EXPORT_ROOT must be before it may be taken for an orphan: older than any link
# to it can be (EXPORT_LINK_TTL_HOURS), with an hour to spare for a file written just now whose
# job's row is not committed yet.
_ORPHAN_MARGIN = timedelta(hours=1)
# The names services.py gives export files (`<job id>-<random>.<format>`, `.part` while written):
# nothing else in EXPORT_ROOT is ever touched.
_EXPORT_FILE: Final = re.compile(r"[0-9]+-[0-9a-f]{16}\.(?:csv|xlsx)(?:\.part)?")


def _older(entry: os.DirEntry[str], cutoff: float) -> bool:
    """A regular file (not a link) last written before `cutoff`; False for one gone meanwhile
    (renamed by a finishing export, deleted by another clean-up)."""
    try:
        return entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff
    except FileNotFoundError:
        return False


def export_orphans_delete(*, now: datetime | None = None) -> int:
    """Delete the files in EXPORT_ROOT that no live export names and that are older than a link
    can be: a small export kept by a request whose transaction rolled back (a 5xx, two first
    requests with one Idempotency-Key), a worker killed while writing (its `.part`), a file whose
    job was deleted. Their rows may hold people's data; nothing can serve them. Returns how many."""
    root = Path(settings.EXPORT_ROOT)
    cutoff = ((now or timezone.now()) - timedelta(hours=settings.EXPORT_LINK_TTL_HOURS) - _ORPHAN_MARGIN).timestamp()
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return 0
    old = [entry for entry in entries if _EXPORT_FILE.fullmatch(entry.name) and _older(entry, cutoff)]
    deleted = 0
    for start in range(0, len(old), 500):
        batch = old[start:start + 500]
        named = set(
            ExportJob.objects.filter(file_name__in=[e.name for e in batch])
            .exclude(status=Status.EXPIRED)
            .values_list("file_name", flat=True)
        )
        for entry in batch:
            if entry.name not in named:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    deleted += 1
    return deleted
