"""An export's file handed out: by its signed link (the console's download, the API's
`download_url`) and to a request retried with its Idempotency-Key (api/idempotency.py). Each time
the job must be the caller's, still kept, and made for the area the caller covers now: an official
moved to another ward, or an organisation admin to another unit, no longer gets a list of the people
they left (`ExportAreaChanged`). Every handing out is audited as a download."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.exports import writers
from khaibao.exports.models import ExportJob, Status
from khaibao.exports.selectors import access_export_for_owner
from khaibao.exports.services import export_filename

_SIGNING_SALT = "khaibao.exports.download"


class ExportExpired(ServiceError):
    status = 410

    def __init__(self, message: str = "", code: str = "export_expired") -> None:
        super().__init__(
            message or _("This download link has expired and the file was deleted. Ask for a new export."), code=code
        )


class ExportAreaChanged(ExportExpired):
    """The export was made for an area its owner no longer covers (410, as an expired one)."""

    def __init__(self) -> None:
        super().__init__(
            _("This export was made for an area you no longer cover. Ask for a new export."),
            code="export_area_changed",
        )


@dataclass
class Download:
    job: ExportJob
    path: Path
    filename: str
    content_type: str


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SIGNING_SALT)


def _link_value(job: ExportJob) -> str:
    return f"{job.pk}.{job.owner_id}"


def export_download_url(job: ExportJob) -> str:
    """A link to the job's file, signed for this job and owner; valid until the job expires."""
    sig = _signer().sign(_link_value(job))
    return f"{reverse('backoffice:export_download', args=[job.pk])}?sig={sig}"


@transaction.atomic
def export_download(*, actor: Any, job_id: int, sig: str, ip: str = "") -> Download:
    """The file of the actor's own finished export, through its signed link.

    Another official's job, a missing job or a bad signature: Http404 alike. An expired link
    or a deleted file: ExportExpired (410); made for an area the actor no longer covers:
    ExportAreaChanged (410). Every download is audited.
    """
    job = access_export_for_owner(actor, job_id)
    now = timezone.now()
    try:
        value = _signer().unsign(sig or "", max_age=timedelta(hours=settings.EXPORT_LINK_TTL_HOURS))
    except signing.SignatureExpired as exc:
        raise ExportExpired from exc
    except signing.BadSignature as exc:
        raise Http404 from exc
    if value != _link_value(job):
        raise Http404
    if job.is_expired(now):
        raise ExportExpired
    path = job.file_path
    if job.status != Status.DONE or path is None:
        raise ServiceError(_("This export is not ready yet."), code="export_not_ready", status=409)
    if not path.exists():
        raise ExportExpired
    return _served(job, path, actor=actor, ip=ip, now=now, data={})


@transaction.atomic
def export_replay(*, actor: Any, job_id: int, ip: str = "") -> Download:
    """The file of the actor's own export again, for a request retried with its Idempotency-Key
    (api/idempotency.py): the same job's file, never a new export (nothing counts against the
    daily cap). A job that is not the actor's: Http404. Expired, or its file not kept or gone:
    ExportExpired (410), as the download link answers; another area: ExportAreaChanged. Audited
    as a download."""
    job = access_export_for_owner(actor, job_id)
    now = timezone.now()
    path = job.file_path
    if job.is_expired(now) or job.status != Status.DONE or path is None or not path.exists():
        raise ExportExpired
    return _served(job, path, actor=actor, ip=ip, now=now, data={"mode": "replay"})


def _served(job: ExportJob, path: Path, *, actor: Any, ip: str, now: datetime, data: dict[str, str]) -> Download:
    """A job's file handed out (by its link or to a retry): only in the area it was made for, then
    stamped and audited as a download."""
    if job.area != actor.area_key:
        raise ExportAreaChanged
    job.downloaded_at = now
    job.save(update_fields=["downloaded_at"])
    audit_record(
        actor=actor, action="export.download", obj=job, ip=ip, data={"kind": job.kind, "format": job.format, **data}
    )
    return Download(job=job, path=path, filename=export_filename(job), content_type=writers.CONTENT_TYPES[job.format])
