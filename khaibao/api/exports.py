"""Exports for officials: POST streams a small export or queues a large one; GET polls a job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from khaibao.accounts.models import Role
from khaibao.api.auth import AuthedRequest
from khaibao.api.idempotency import idempotency_key
from khaibao.api.schemas import ErrorOut, StrictSchema
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.exports import downloads, selectors, services
from khaibao.exports.models import ExportJob
from khaibao.exports.models import Status as JobStatus
from khaibao.exports.responses import export_outcome_response

router = Router(tags=["exports"])


class ExportIn(StrictSchema):
    kind: str = Field(..., description='"triage" | "followups" | "stats"', max_length=20)
    format: str = Field("csv", description='"csv" | "xlsx"', max_length=10)
    filters: dict[str, Any] = Field(default_factory=dict, description="as for GET /triage, or date/from/to for stats")
    reason: str = Field("", description="why the data is needed (at least 10 characters)", max_length=2000)


class ExportFailureOut(Schema):
    code: str = Field(..., description='"storage" | "interrupted" | "database" | "error"')
    label: str


class ExportOut(Schema):
    id: int
    kind: str
    kind_label: str = Field(..., description="the kind in words, in the request's language")
    format: str
    status: str = Field(..., description="queued | running | done | failed | expired")
    status_label: str = Field(..., description="the status in words, in the request's language")
    progress: int
    row_count: int | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime
    download_url: str | None = Field(None, description="signed link, present when the file is ready")
    failure: ExportFailureOut | None = Field(None, description="why a failed export failed, present when failed")


class ExportListOut(Schema):
    items: list[ExportOut]


def _official(request: AuthedRequest) -> Any:
    account = request.auth
    if account.role != Role.OFFICIAL:
        raise ServiceError(_("Only health officials can export data."), code="forbidden", status=403)
    return account


def export_out(request: HttpRequest, job: ExportJob) -> ExportOut:
    url = None
    if job.status == JobStatus.DONE and job.file_name and not job.is_expired():
        url = request.build_absolute_uri(downloads.export_download_url(job))
    return ExportOut(
        id=job.pk,
        kind=job.kind,
        kind_label=str(job.get_kind_display()),
        format=job.format,
        status=job.status,
        status_label=str(job.get_status_display()),
        progress=job.progress,
        row_count=job.row_count,
        created_at=job.created_at,
        finished_at=job.finished_at,
        expires_at=job.expires_at,
        download_url=url,
        failure=ExportFailureOut(code=job.failure, label=job.get_failure_display()) if job.failure else None,
    )


@router.post(
    "",
    response={200: None, 202: ExportOut, 400: ErrorOut, 403: ErrorOut, 429: ErrorOut, 503: ErrorOut},
    openapi_extra={
        "responses": {
            200: {
                "description": "A small export, streamed at once",
                "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            }
        }
    },
)
def export_create(request: AuthedRequest, data: ExportIn) -> Any:
    """Export the triage list, follow-up list or statistics of your jurisdiction.

    Small exports (up to EXPORT_STREAM_MAX_ROWS rows) answer 200 with the file; larger ones
    answer 202 with a job to poll at GET /exports/{id}. A reason is required; exports are
    capped per official per day (429).
    """
    outcome = services.export_request(
        actor=_official(request),
        kind=data.kind,
        fmt=data.format,
        filters=data.filters,
        reason=data.reason,
        ip=client_ip(request),
        # With a key, the file is kept so that a retry streams this job's file again
        # (api/idempotency.py stores the job, never the file's content).
        keep=idempotency_key(request) is not None,
    )
    if outcome.streamed:
        return export_outcome_response(outcome)
    return Status(202, export_out(request, outcome.job))


@router.get("", response={200: ExportListOut, 403: ErrorOut})
def export_list(request: AuthedRequest, before: int | None = None) -> ExportListOut:
    """Your exports, newest first (keyset: pass the last id as `before`)."""
    jobs = selectors.export_jobs_for(_official(request), before=before)
    return ExportListOut(items=[export_out(request, job) for job in jobs])


@router.get("/{job_id}", response={200: ExportOut, 403: ErrorOut, 404: ErrorOut})
def export_detail(request: AuthedRequest, job_id: int) -> ExportOut:
    """One of your exports: status, progress and, when ready, its signed download link. An
    organisation admin polls their chasing lists here too (POST /orgs/{id}/chase)."""
    return export_out(request, selectors.access_export_for_owner(request.auth, job_id))
