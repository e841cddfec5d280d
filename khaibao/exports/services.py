"""Exports (xuất dữ liệu): request, run in the background (the file handed out: exports/downloads.py;
the clean-up: exports/cleanup.py)."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role
from khaibao.audit.lists import audit_list_shown
from khaibao.audit.services import audit_record
from khaibao.core.days import day_end, day_start
from khaibao.core.dbrouter import use_replica
from khaibao.core.errors import RateLimited, ServiceError
from khaibao.core.workers import current_task_id, task_waiting, tasks_in_progress
from khaibao.exports import sources, writers
from khaibao.exports import tasks as export_tasks
from khaibao.exports.models import ORG_KINDS, ExportJob, Failure, Format, Kind, Status

logger = logging.getLogger(__name__)

REASON_MIN_LENGTH = 10
REASON_MAX_LENGTH = 500


@dataclass
class ExportOutcome:
    """A streamed export carries its content; a queued one only its job."""

    job: ExportJob
    content: Iterator[bytes] | None = None
    filename: str = ""
    content_type: str = ""

    @property
    def streamed(self) -> bool:
        return self.content is not None


def _require_official(actor: Any, kind: str = "") -> None:
    # An organisation admin exports only their organisation's chasing list (ORG_KINDS).
    if kind in ORG_KINDS and getattr(actor, "role", None) == Role.ORG_ADMIN:
        return
    if getattr(actor, "role", None) != Role.OFFICIAL or kind in ORG_KINDS:
        raise ServiceError(_("Only health officials can export data."), code="forbidden", status=403)


def _clean_request(kind: str, fmt: str, filters: Any, reason: str) -> str:
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = _("Choose what to export: triage list, follow-up list or statistics.")
    if fmt not in Format.values:
        errors["format"] = _("Choose CSV or XLSX.")
    if not isinstance(filters, dict):
        errors["filters"] = _("Must be an object.")
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN_LENGTH:
        errors["reason"] = _("Say why you need this export, in at least %(n)s characters.") % {
            "n": REASON_MIN_LENGTH
        }
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = _("Keep the reason under %(n)s characters.") % {"n": REASON_MAX_LENGTH}
    if errors:
        raise ServiceError(_("Some fields are not valid."), fields=errors)
    return reason


def exports_today(actor: Account, now: datetime) -> int:
    # A job that failed (its reason is shown) gave the official nothing: it does not use the cap.
    return (
        ExportJob.objects.filter(owner=actor, created_at__gte=day_start(timezone.localdate(now)))
        .exclude(status=Status.FAILED)
        .count()
    )


def _check_daily_cap(actor: Account, now: datetime) -> None:
    cap = settings.EXPORT_DAILY_CAP
    if exports_today(actor, now) >= cap:
        retry = int((day_end(timezone.localdate(now)) - now).total_seconds()) + 1
        raise RateLimited(
            _("You have made %(cap)s exports today, the daily limit. You can export again tomorrow.")
            % {"cap": cap},
            retry_after=retry,
        )


def export_filename(job: ExportJob) -> str:
    """The name a job's file is handed out under (khaibao-<kind>-<local time>-<id>.<format>)."""
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M")
    return f"khaibao-{job.kind}-{stamp}-{job.pk}.{job.format}"


def _render(fmt: str, table: sources.Table) -> Iterator[bytes]:
    if fmt == Format.XLSX:
        return writers.chunks(writers.xlsx_bytes(table.header, table.rows, title=table.title))
    return writers.csv_stream(table.header, table.rows)


@transaction.atomic
def export_request(
    *, actor: Account, kind: str, fmt: str, filters: Any, reason: str, ip: str = "", keep: bool = False
) -> ExportOutcome:
    """Start an export for an official: stream it now when small, else queue a background job.

    Refuses non-officials (403), a missing or short reason (400, field "reason") and an
    official over settings.EXPORT_DAILY_CAP exports today (429). The table is built from the
    owning app's selectors with `actor` as the user, so jurisdiction applies. The reason is
    kept (encrypted) on the job; the audit event names the job, kind, format and row count.

    `keep`: a small export is also written to EXPORT_ROOT and streamed from there, so that
    `export_replay` can serve the very same file again until the job expires (a request retried
    with its Idempotency-Key); the hourly clean-up deletes it as it deletes a job's file.
    """
    _require_official(actor, kind)
    reason = _clean_request(kind, fmt, filters, reason)
    now = timezone.now()
    # Serialises one official's concurrent requests so the cap cannot be overrun by a race.
    Account.objects.select_for_update().filter(pk=actor.pk).first()
    _check_daily_cap(actor, now)
    table = sources.table_for(kind, actor, filters)
    small = table.estimated_rows <= settings.EXPORT_STREAM_MAX_ROWS
    job = ExportJob.objects.create(
        owner=actor,
        kind=kind,
        format=fmt,
        filters=filters,
        reason=reason,
        status=Status.DONE if small else Status.QUEUED,
        streamed=small,
        progress=100 if small else 0,
        estimated_rows=table.estimated_rows,
        created_at=now,
        finished_at=now if small else None,
        expires_at=now + timedelta(hours=settings.EXPORT_LINK_TTL_HOURS),
        area=actor.area_key,
    )
    outcome = ExportOutcome(job=job)
    if small:
        # Bounded by EXPORT_STREAM_MAX_ROWS: reading it now gives the audit an exact count and
        # keeps the database work inside this transaction rather than in the response stream.
        rows = list(table.rows)
        job.row_count = len(rows)
        job.save(update_fields=["row_count"])
        table.rows = rows
        outcome.content = _keep(job, table) if keep else _render(fmt, table)
        _audit_people(actor, job, table, ip=ip)
        outcome.filename = export_filename(job)
        outcome.content_type = writers.CONTENT_TYPES[fmt]
    else:
        job_id = job.pk
        # Robust: the job is saved once this runs, and exports_sweep enqueues it again after
        # EXPORT_REQUEUE_AFTER_SECONDS; an error here must not answer 503 for a job that exists
        # (its retry would make a second export of the same personal data).
        transaction.on_commit(lambda: _enqueue(job_id), robust=True)
    audit_record(
        actor=actor,
        action="export.create",
        obj=job,
        ip=ip,
        data={
            "kind": kind,
            "format": fmt,
            "rows": job.row_count if small else table.estimated_rows,
            "mode": "stream" if small else "job",
        },
    )
    return outcome


def _keep(job: ExportJob, table: sources.Table) -> Iterator[bytes]:
    """Write a small export's file (its rows already read) where a background job's goes and
    stream it from there; when it cannot be written, stream it as usual (a replay then finds no
    file: downloads.ExportExpired)."""
    root = Path(settings.EXPORT_ROOT)
    name = f"{job.pk}-{secrets.token_hex(8)}.{job.format}"
    partial = root / (name + ".part")
    try:
        root.mkdir(parents=True, exist_ok=True)
        # Readable by the app's user only, as a background job's file.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in _render(job.format, table):
                out.write(chunk)
        os.replace(partial, root / name)
    except OSError:
        logger.exception("export %s: the streamed file could not be kept", job.pk)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return _render(job.format, table)
    job.file_name = name
    job.save(update_fields=["file_name"])
    return file_chunks(root / name)


def file_chunks(path: Path, size: int = 64 * 1024) -> Iterator[bytes]:
    """The file at `path`, read lazily in chunks (for a streamed answer)."""
    with path.open("rb") as stream:
        while chunk := stream.read(size):
            yield chunk


def _audit_people(actor: Any, job: ExportJob, table: sources.Table, *, ip: str = "") -> None:
    """The people the file holds, as a list seen (audit/lists.py): the DPO finds "who exported
    person X" as they find "who saw X in the triage queue"."""
    if table.people:
        audit_list_shown(
            actor=actor, action="list.export", person_ids=table.people, filters=job.filters, ip=ip,
            extra={"job": job.pk, "kind": job.kind},
        )


def _enqueue(job_id: int) -> None:
    export_tasks.export_run.enqueue(job_id)


def _set_progress(job_id: int, written: int, estimate: int) -> None:
    # Capped below 100: 100 means the file is complete and can be downloaded.
    percent = min(99, written * 100 // max(estimate, 1))
    ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(progress=percent)


def _write_file(job: ExportJob, partial: Path) -> tuple[int, sources.Table]:
    table = sources.table_for(job.kind, job.owner, job.filters)

    def progress(written: int) -> None:
        _set_progress(job.pk, written, table.estimated_rows)

    # Readable by the app's user only: exports hold personal data until the cleanup job.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        if job.format == Format.XLSX:
            return writers.write_xlsx(out, table.header, table.rows, title=table.title, on_progress=progress), table
        return writers.write_csv(out, table.header, table.rows, on_progress=progress), table


def _fail(job_id: int, failure: Failure) -> None:
    ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
        status=Status.FAILED, failure=failure, finished_at=timezone.now(), task_id=""
    )


def _failure_of(exc: BaseException) -> Failure:
    if isinstance(exc, OSError):
        return Failure.STORAGE
    if isinstance(exc, DatabaseError):
        return Failure.DATABASE
    return Failure.ERROR


def export_run(*, job_id: int) -> ExportJob | None:
    """Write a queued export's file in batches, updating its progress; run by the task worker.

    Rows are rebuilt with the owner as the user (their jurisdiction as it is now). A job that
    is not queued any more (already run, expired) is left alone. Any failure — the folder or the
    file cannot be written, the database is unavailable, a bug — marks the job failed with a
    reason the official sees (`Failure`); a worker that dies mid-way leaves the job to
    `exports_sweep`.
    """
    claimed = ExportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, progress=0, task_id=current_task_id(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    # The rows are read with the owner's area as it is now: the file is theirs while they keep it.
    area = job.owner.area_key
    root = Path(settings.EXPORT_ROOT)
    name = f"{job.pk}-{secrets.token_hex(8)}.{job.format}"
    partial = root / (name + ".part")
    try:
        root.mkdir(parents=True, exist_ok=True)
        # The rows are read (lazily, while the file is written) from the read replica when one
        # is configured: a long export must not load the primary. The progress and the job's
        # own row are written to the primary.
        with use_replica():
            count, table = _write_file(job, partial)
        os.replace(partial, root / name)
    except Exception as exc:
        logger.exception("export %s failed", job_id)
        with contextlib.suppress(OSError):  # the folder itself may be what failed
            partial.unlink(missing_ok=True)
        _fail(job_id, _failure_of(exc))
        return ExportJob.objects.get(pk=job_id)
    now = timezone.now()
    with transaction.atomic():
        job.status = Status.DONE
        job.progress = 100
        job.row_count = count
        job.file_name = name
        job.finished_at = now
        job.expires_at = now + timedelta(hours=settings.EXPORT_LINK_TTL_HOURS)
        job.task_id = ""
        job.area = area
        job.save(update_fields=[
            "status", "progress", "row_count", "file_name", "finished_at", "expires_at", "task_id", "area",
        ])
        audit_record(
            actor=job.owner,
            action="export.complete",
            obj=job,
            data={"kind": job.kind, "format": job.format, "rows": count},
        )
        _audit_people(job.owner, job, table)
    return job


def exports_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Periodic: no export stays queued or running for ever.

    * running, but its task is no longer in progress (its worker died — core.workers): queued
      again while it has been started fewer than EXPORT_MAX_ATTEMPTS times, else failed
      ("interrupted");
    * queued for more than EXPORT_REQUEUE_AFTER_SECONDS with no task waiting for it (the enqueue
      after the commit was lost when the process died): enqueued again. `export_run` claims a job
      only from "queued", so a job enqueued twice still runs once.
    """
    now = now or timezone.now()
    retried = failed = requeued = 0
    running = list(ExportJob.objects.filter(status=Status.RUNNING).values_list("pk", "task_id", "attempts"))
    alive = tasks_in_progress(task_id for _, task_id, _ in running)
    for job_id, task_id, attempts in running:
        if task_id in alive:
            continue
        if attempts < settings.EXPORT_MAX_ATTEMPTS:
            retried += ExportJob.objects.filter(pk=job_id, status=Status.RUNNING, task_id=task_id).update(
                status=Status.QUEUED, progress=0, task_id=""
            )
            _enqueue(job_id)
        else:
            failed += ExportJob.objects.filter(pk=job_id, status=Status.RUNNING, task_id=task_id).update(
                status=Status.FAILED, failure=Failure.INTERRUPTED, finished_at=now, task_id=""
            )
    waiting_since = now - timedelta(seconds=settings.EXPORT_REQUEUE_AFTER_SECONDS)
    for job_id in ExportJob.objects.filter(status=Status.QUEUED, created_at__lt=waiting_since).values_list("pk", flat=True):
        if not task_waiting(export_tasks.export_run.module_path, [job_id]):
            _enqueue(job_id)
            requeued += 1
    return {"retried": retried, "failed": failed, "requeued": requeued}
