"""How an export's file is answered over HTTP: the same headers whether it is streamed at once
(POST /exports, POST /orgs/{id}/chase) or served again to a retry of that request
(api/idempotency.py, `downloads.export_replay`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import StreamingHttpResponse

from khaibao.exports.downloads import Download
from khaibao.exports.services import ExportOutcome, file_chunks

EXPORT_ID_HEADER = "X-Export-Id"


def export_file_response(*, job_id: int, filename: str, content_type: str, content: Iterable[bytes]) -> StreamingHttpResponse:
    """The file as an attachment, never cached, naming its job in X-Export-Id."""
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response[EXPORT_ID_HEADER] = str(job_id)
    response["Cache-Control"] = "no-store"
    return response


def export_outcome_response(outcome: ExportOutcome) -> StreamingHttpResponse:
    """A small export streamed now (`outcome.streamed`)."""
    return export_file_response(
        job_id=outcome.job.pk, filename=outcome.filename, content_type=outcome.content_type,
        content=outcome.content or iter(()),
    )


def export_download_response(download: Download) -> StreamingHttpResponse:
    """A kept file served again (`downloads.export_replay`)."""
    return export_file_response(
        job_id=download.job.pk, filename=download.filename, content_type=download.content_type,
        content=file_chunks(download.path),
    )
