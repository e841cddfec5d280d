"""Officials handle citizen reports (phản ánh) in their area: the queue, a report with its notes,
photos and history (audited), its status, internal notes, replies to the reporter, and turning a
report about a person into a case. The citizens' side: api/reports.py."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from khaibao.accounts.models import Role
from khaibao.api.auth import AuthedRequest
from khaibao.api.idempotency import idempotency_checked
from khaibao.api.reports import ReplyOut, ReportOut, category_label, report_out, status_label
from khaibao.api.schemas import ErrorOut, PlaceCode, QuerySchema, StrictSchema
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.reports import handling, selectors
from khaibao.reports.models import Report

router = Router(tags=["reports"])


class NoteOut(Schema):
    id: int
    author: str
    text: str
    created_at: datetime


class PhotoOut(Schema):
    id: int
    content_type: str
    size: int
    width: int
    height: int
    url: str


class StatusChangeOut(Schema):
    from_status: str
    from_status_label: str
    to_status: str
    to_status_label: str
    at: datetime


class OfficialReportOut(ReportOut):
    anonymous: bool
    duplicate_of: int | None
    person_id: int | None
    age_hours: float
    overdue: bool
    notes: list[NoteOut]
    photo_list: list[PhotoOut]
    status_changes: list[StatusChangeOut]


class QueueItemOut(Schema):
    id: int
    category: str
    category_label: str
    ward_code: int
    ward_name: str
    status: str
    status_label: str
    created_at: datetime
    age_hours: float
    overdue: bool
    lat: float | None
    lon: float | None


class QueueOut(Schema):
    target_hours: int
    items: list[QueueItemOut]
    next_cursor: str | None = Field(..., description="pass as `cursor` (same filters) for the next page; null on the last")
    total: int = Field(..., description="how many reports match the filters in all")


class QueueQuery(QuerySchema):
    category: str = ""
    status: str = Field("", description="a status, or 'open'")
    ward: PlaceCode | None = None
    age: str = Field("", description="overdue, today, week or older")
    limit: int = Field(100, ge=1, le=500)
    cursor: str | None = Field(None, description="the previous page's next_cursor")


class StatusIn(StrictSchema):
    status: str
    duplicate_of: int | None = None


class TextIn(StrictSchema):
    text: str


class CaseIn(StrictSchema):
    person_id: int | None = Field(None, description="An existing person in your area; or give the details")
    full_name: str = ""
    phone: str = ""
    id_number: str = ""
    birth_year: int | None = None
    sex: str = ""


class ReportCaseOut(Schema):
    person_id: int
    report_id: int


def _official_out(report: Report) -> OfficialReportOut:
    detail = selectors.report_detail(report)
    return OfficialReportOut(
        **report_out(report, photos=len(detail.photos), replies=detail.replies),
        anonymous=report.reporter_id is None,
        duplicate_of=report.duplicate_of_id,
        person_id=report.person_id,
        age_hours=round(detail.age_hours, 1),
        overdue=detail.overdue,
        notes=[
            NoteOut(id=n.pk, author=str(n.author.username or n.author.pk), text=n.text, created_at=n.created_at)
            for n in detail.notes
        ],
        photo_list=[
            PhotoOut(
                id=p.pk, content_type=p.content_type, size=p.size, width=p.width, height=p.height,
                url=f"/api/v1/reports/{report.pk}/photos/{p.pk}",
            )
            for p in detail.photos
        ],
        status_changes=[
            StatusChangeOut(
                from_status=c.from_status, from_status_label=str(c.get_from_status_display()),  # type: ignore[attr-defined]
                to_status=c.to_status, to_status_label=str(c.get_to_status_display()),  # type: ignore[attr-defined]
                at=c.at,
            )
            for c in detail.changes
        ],
    )


@router.get("/queue", response={200: QueueOut, 400: ErrorOut, 403: ErrorOut})
def report_queue(request: AuthedRequest, query: Query[QueueQuery]) -> QueueOut:
    """Reports in the official's area, oldest first, with their age against the target; keyset
    pages (pass `next_cursor` as `cursor`, with the same filters), each page audited."""
    if request.auth.role != Role.OFFICIAL:
        # The documented answer for another role: refused, not an empty queue.
        raise ServiceError(_("Only health officials handle reports."), code="forbidden", status=403)
    filters = selectors.QueueFilters(category=query.category, status=query.status, ward=query.ward, age=query.age)
    page = selectors.report_queue_keyset(
        request.auth, filters, cursor=query.cursor, limit=query.limit, ip=client_ip(request)
    )
    return QueueOut(
        target_hours=selectors.target_hours(),
        next_cursor=page.next_cursor,
        total=page.total or 0,
        items=[
            QueueItemOut(
                id=r.pk, category=r.category, category_label=category_label(r), ward_code=r.ward_id,
                ward_name=r.ward.name, status=r.status, status_label=status_label(r), created_at=r.created_at,
                age_hours=round(selectors.age_hours(r), 1), overdue=selectors.is_overdue(r),
                lat=r.lat, lon=r.lon,
            )
            for r in page.items
        ],
    )


@router.get("/{int:report_id}/official", response={200: OfficialReportOut, 404: ErrorOut})
def report_official(request: AuthedRequest, report_id: int) -> OfficialReportOut:
    """A report in the official's area, with notes and photos (audited)."""
    report = selectors.report_for_official(request.auth, report_id, ip=client_ip(request))
    return _official_out(report)


@router.post("/{int:report_id}/status", response={200: OfficialReportOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def report_status(request: AuthedRequest, report_id: int, data: StatusIn) -> OfficialReportOut:
    ip = client_ip(request)
    report = selectors.report_for_official(request.auth, report_id, purpose="", ip=ip)
    duplicate_of = None
    if data.duplicate_of is not None:
        try:
            duplicate_of = selectors.report_for_official(request.auth, data.duplicate_of, purpose="", ip=ip)
        except Http404:
            raise ServiceError(
                _("Some fields are not valid."), fields={"duplicate_of": _("No report with this number in your area.")}
            ) from None
    report = handling.report_status_change(
        actor=request.auth, report=report, status=data.status, duplicate_of=duplicate_of, ip=ip
    )
    return _official_out(report)


@router.post("/{int:report_id}/notes", response={201: NoteOut, 400: ErrorOut, 404: ErrorOut})
def report_note(request: AuthedRequest, report_id: int, data: TextIn) -> Status:
    ip = client_ip(request)
    report = selectors.report_for_official(request.auth, report_id, purpose="", ip=ip)
    note = handling.report_note_add(actor=request.auth, report=report, text=data.text, ip=ip)
    author = note.author
    return Status(201, NoteOut(id=note.pk, author=str(author.username or author.pk), text=note.text, created_at=note.created_at))


@router.post("/{int:report_id}/replies", response={201: ReplyOut, 400: ErrorOut, 404: ErrorOut})
def report_reply(request: AuthedRequest, report_id: int, data: TextIn) -> Status:
    ip = client_ip(request)
    report = selectors.report_for_official(request.auth, report_id, purpose="", ip=ip)
    reply = handling.report_reply_add(actor=request.auth, report=report, text=data.text, ip=ip)
    return Status(201, ReplyOut(text=reply.text, created_at=reply.created_at))


@router.post("/{int:report_id}/to-case", response={201: ReportCaseOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def report_to_case(request: AuthedRequest, report_id: int, data: CaseIn) -> Status | HttpResponse:
    """Turn a report about a person into a case: the person enters their ward's triage queue."""
    ip = client_ip(request)
    report = selectors.report_for_official(request.auth, report_id, purpose="", ip=ip)
    replay = idempotency_checked(request)  # a keyed retry is answered past the access check only
    if replay is not None:
        return replay
    person = handling.report_to_case(
        actor=request.auth, report=report, data=handling.CaseInput(**data.model_dump()), ip=ip
    )
    return Status(201, ReportCaseOut(person_id=person.pk, report_id=report.pk))
