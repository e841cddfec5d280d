"""Citizen reports (phản ánh): submit (signed in, or anonymous with a proof of work), follow
one's own reports or an anonymous one by tracking code, and a report's photos. The officials'
queue and handling: api/report_handling.py.

POST /reports takes JSON, or multipart/form-data with the same fields as form fields and up to
3 files in `photos` (JPEG, PNG or WebP, ≤ 5 MB each). Anonymous clients first GET
/reports/challenge, solve it (ALTCHA v1: find `number` in 0..maxNumber with
SHA-256(salt + number) == challenge) and send `pow` = base64(JSON {algorithm, challenge,
number, salt, signature}).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ValidationError

from khaibao.accounts.models import Account, Role
from khaibao.accounts.tokens import request_account
from khaibao.api.auth import AuthedRequest
from khaibao.api.errors import validation_fields
from khaibao.api.schemas import ApiDateTime, ErrorOut, QuerySchema, StrictSchema, keyset_headers
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.reports import pow as proof_of_work
from khaibao.reports import selectors, services
from khaibao.reports.models import Report, ReportReply
from khaibao.reports.photos import MAX_PHOTO_BYTES

router = Router(tags=["reports"])


class ReportIn(StrictSchema):
    category: str = Field(..., description="suspected_case, undeclared_or_not_isolating, gathering, "
                          "misinformation, price_gouging_or_fake_supplies or other")
    ward_code: int
    address: str = Field(..., description="≤ 300 characters")
    description: str = Field(..., description="What happened, ≤ 2,000 characters")
    happened_at: ApiDateTime = Field(..., description="ISO 8601; Asia/Ho_Chi_Minh when no offset; not in the future")
    lat: float | None = None
    lon: float | None = None
    pow: str = Field("", description="Solved ALTCHA payload; required without a bearer token")


class ReplyOut(Schema):
    text: str
    created_at: datetime


class ReportOut(Schema):
    id: int
    category: str
    category_label: str = Field(..., description="the category in words, in the request's language")
    ward_code: int
    ward_name: str
    address: str
    description: str
    happened_at: datetime
    lat: float | None
    lon: float | None
    status: str
    status_label: str = Field(..., description="the status in words, in the request's language")
    created_at: datetime
    updated_at: datetime
    photos: int
    replies: list[ReplyOut]


class SubmitOut(Schema):
    id: int
    status: str
    status_label: str
    tracking_code: str = Field(..., description="Shown only now: keep it to follow the report")


class TrackOut(Schema):
    category: str
    category_label: str
    status: str
    status_label: str
    created_at: datetime
    updated_at: datetime
    replies: list[ReplyOut]


def _user(request: AuthedRequest) -> Account:
    return request.auth


def category_label(report: Report) -> str:
    return str(report.get_category_display())  # type: ignore[attr-defined]


def status_label(report: Report) -> str:
    return str(report.get_status_display())  # type: ignore[attr-defined]


def replies_out(replies: list[ReportReply]) -> list[ReplyOut]:
    return [ReplyOut(text=r.text, created_at=r.created_at) for r in replies]


def report_out(report: Report, *, photos: int | None = None, replies: list[ReportReply] | None = None) -> dict[str, Any]:
    if photos is None:
        # Lists annotate the count (one query for the page); a single report counts on its own.
        photos = report.photo_count if hasattr(report, "photo_count") else report.photos.count()
    return {
        "id": report.pk, "category": report.category, "category_label": category_label(report),
        "ward_code": report.ward_id, "ward_name": report.ward.name, "address": report.address,
        "description": report.description, "happened_at": report.happened_at, "lat": report.lat, "lon": report.lon,
        "status": report.status, "status_label": status_label(report), "created_at": report.created_at,
        "updated_at": report.updated_at,
        "photos": photos,
        "replies": replies_out(replies if replies is not None else selectors.public_replies(report)),
    }


def _parse_submission(request: HttpRequest) -> tuple[ReportIn, list[services.PhotoUpload]]:
    content_type = (request.content_type or "").lower()
    photos: list[services.PhotoUpload] = []
    if content_type.startswith("multipart/form-data"):
        raw: dict[str, Any] = {k: v for k, v in request.POST.items() if v != "" or k in {"pow"}}
        files = request.FILES.getlist("photos")
        unknown_files = set(request.FILES.keys()) - {"photos"}
        if unknown_files:
            raise ServiceError(_("Some fields are not valid."), fields={n: _("Unknown field.") for n in unknown_files})
        for upload in files:
            photos.append(services.PhotoUpload(
                name=upload.name or "", content_type=upload.content_type or "",
                # Anything beyond the 5 MB limit is refused by photo_clean; read one byte more to know.
                data=upload.read(MAX_PHOTO_BYTES + 1),
            ))
    else:
        try:
            raw = json.loads(request.body or b"{}")
        except ValueError:
            raise ServiceError(_("The body is not valid JSON."), code="malformed_json") from None
        if not isinstance(raw, dict):
            raise ServiceError(_("The body must be a JSON object."), code="malformed_json")
    try:
        data = ReportIn.model_validate(raw)
    except ValidationError as exc:
        raise ServiceError(
            _("Some fields are not valid."), fields=validation_fields(exc.errors())  # type: ignore[arg-type]
        ) from None
    return data, photos


@router.get("/challenge", auth=None, response={200: dict[str, Any]})
def report_challenge(request: HttpRequest) -> dict[str, Any]:
    """A proof-of-work challenge for an anonymous report (ALTCHA v1 format)."""
    return proof_of_work.challenge_create()


def _submission_body() -> dict[str, Any]:
    """The schema's requestBody of POST /reports: the endpoint parses the body itself (JSON, or the
    same fields as multipart form fields plus `photos`), so ninja cannot derive it."""
    fields = ReportIn.model_json_schema()
    form = {
        **fields,
        "properties": {
            **fields["properties"],
            "photos": {"type": "array", "maxItems": 3, "items": {"type": "string", "format": "binary"}},
        },
    }
    return {"required": True, "content": {"application/json": {"schema": fields}, "multipart/form-data": {"schema": form}}}


@router.post(
    "",
    auth=None,
    response={201: SubmitOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut},
    openapi_extra={"requestBody": _submission_body()},
)
def report_submit(request: HttpRequest) -> Status:
    """Send a report: signed in (bearer token) or anonymously with a solved `pow`."""
    account = request_account(request)
    data, photos = _parse_submission(request)
    report, code = services.report_submit(
        actor=account,
        data=services.ReportInput(
            category=data.category, ward_code=data.ward_code, address=data.address, description=data.description,
            happened_at=data.happened_at, lat=data.lat, lon=data.lon,
        ),
        photos=photos,
        pow_payload=data.pow,
        ip=client_ip(request),
    )
    return Status(201, SubmitOut(id=report.pk, status=report.status, status_label=status_label(report), tracking_code=code))


class MineQuery(QuerySchema):
    limit: int = Field(100, ge=1, le=500)
    cursor: str | None = Field(None, description="the previous page's X-Next-Cursor header")


@router.get("", response={200: list[ReportOut], 400: ErrorOut})
def reports_mine(request: AuthedRequest, response: HttpResponse, query: Query[MineQuery]) -> list[dict[str, Any]]:
    """The signed-in citizen's own reports, newest first, with the replies. Keyset pages of
    `limit`: the next page's cursor is in the `X-Next-Cursor` header (and `Link`, rel="next"),
    the whole list's size in `X-Total-Count`."""
    page = selectors.reports_of_reporter_page(_user(request), cursor=query.cursor, limit=query.limit)
    keyset_headers(response, request, page, params={"limit": query.limit})
    return [report_out(r) for r in page.items]


@router.get("/track/{code}", auth=None, response={200: TrackOut, 404: ErrorOut})
def report_track(request: HttpRequest, code: str) -> TrackOut:
    """Follow a report by its tracking code: status and replies only."""
    report = selectors.report_by_code(code)
    return TrackOut(
        category=report.category, category_label=category_label(report), status=report.status,
        status_label=status_label(report), created_at=report.created_at,
        updated_at=report.updated_at, replies=replies_out(selectors.public_replies(report)),
    )


@router.get("/{int:report_id}", response={200: ReportOut, 404: ErrorOut})
def report_detail(request: AuthedRequest, report_id: int) -> dict[str, Any]:
    """The signed-in reporter's own report."""
    return report_out(selectors.report_for_reporter(_user(request), report_id))


@router.get("/{int:report_id}/photos/{int:photo_id}", response={200: None, 404: ErrorOut})
def report_photo(request: AuthedRequest, report_id: int, photo_id: int) -> FileResponse:
    """A photo, for the reporter or an official of the area (audited); never cached."""
    user = _user(request)
    ip = client_ip(request)
    if getattr(user, "role", None) == Role.OFFICIAL:
        report = selectors.report_for_official(user, report_id, purpose="photo_view", ip=ip)
    else:
        report = selectors.report_for_reporter(user, report_id)
    photo, path = selectors.report_photo_path(report, photo_id)
    response = FileResponse(path.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
