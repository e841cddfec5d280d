"""Data-subject rights (issue 8): consent given, "my data" download, withdrawal and erasure.

Withdrawing consent or erasing is two calls: ask for a code (sent by SMS to the account's
phone), then confirm with it. Citizens only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from khaibao.accounts.models import Account, Role
from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut, QuerySchema, StrictSchema, keyset_headers
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.people.models import Relation
from khaibao.privacy import requests as subject_requests
from khaibao.privacy import selectors, services
from khaibao.privacy.models import Erasure, ErasureReason
from khaibao.privacy.selectors import export_json

router = Router(tags=["privacy"])


def _citizen(request: AuthedRequest) -> Account:
    account: Account = request.auth
    if account.role != Role.CITIZEN:
        raise ServiceError(_("Only citizens have a household."), code="citizens_only", status=403)
    return account


class NoticeOut(Schema):
    version: str
    effective_from: date
    consent: str
    purpose: str
    legal_basis: str
    retention: str
    rights: str


class AcceptedOut(Schema):
    version: str
    declarations: int
    notice: NoticeOut | None


class PersonConsentOut(Schema):
    person_id: int
    full_name: str
    relation: str
    relation_label: str = Field(..., description="the relation in words, in the request's language")
    accepted: list[AcceptedOut]


class ConsentOut(Schema):
    current: NoticeOut
    people: list[PersonConsentOut]


@router.get("/consent", response={200: ConsentOut, 403: ErrorOut})
def consent(request: AuthedRequest) -> dict[str, Any]:
    """The consent notice shown now (purpose, legal basis, retention) and, per person of your
    household, the consent versions they accepted with the words each one showed."""
    account = _citizen(request)
    return {
        "current": selectors.current_notice_dict(),
        "people": [
            {
                "person_id": pc.person.pk, "full_name": pc.person.full_name, "relation": pc.relation,
                "relation_label": str(Relation(pc.relation).label),
                "accepted": [
                    {"version": v, "declarations": n, "notice": selectors.consent_notice_dict(notice) if notice else None}
                    for v, notice, n in pc.versions
                ],
            }
            for pc in selectors.household_consents(account=account)
        ],
    }


@router.get("/export", response={200: dict[str, Any], 403: ErrorOut})
def export(request: AuthedRequest) -> HttpResponse:
    """Everything stored about your household as one JSON file: people, declarations, daily
    updates, assessments, zone warnings, contacts, follow-up, passes, notifications, reports and
    the consent texts accepted. Each download is recorded in the audit trail."""
    account = _citizen(request)
    data = services.household_data_export(actor=account, ip=client_ip(request))
    response = HttpResponse(export_json(data), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="khaibao-my-data-{timezone.localdate().isoformat()}.json"'
    response["Cache-Control"] = "no-store"
    return response


class CodeIn(StrictSchema):
    person_ids: list[int] = Field(min_length=1, max_length=50)
    reason: Literal["request", "consent_withdrawn"] = Field(
        description='"request": erase their data; "consent_withdrawn": withdraw consent (processing stops, then erasure).'
    )


class CodeOut(Schema):
    id: int
    reason: str
    reason_label: str = Field(..., description="the reason in words, in the request's language")
    person_ids: list[int]
    expires_at: datetime
    account_closes: bool


class ConfirmIn(StrictSchema):
    code: str = Field(max_length=10)


class ErasureOut(Schema):
    id: int
    person_id: int
    reason: str
    reason_label: str = Field(..., description="the reason in words, in the request's language")
    status: str
    status_label: str = Field(..., description="the status in words, in the request's language")
    requested_at: datetime
    finished_at: datetime | None

    # The model's own labels (privacy.models.ErasureReason, ErasureStatus), as "My data" shows them.
    @staticmethod
    def resolve_reason_label(obj: Erasure) -> str:
        return str(obj.get_reason_display())

    @staticmethod
    def resolve_status_label(obj: Erasure) -> str:
        return str(obj.get_status_display())


class ConfirmOut(Schema):
    erasures: list[ErasureOut]
    account_closed: bool


@router.post("/erasure-codes", response={201: CodeOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut})
def erasure_code(request: AuthedRequest, data: CodeIn) -> tuple[int, dict[str, Any]]:
    """Send a one-time code (6 digits, 5 minutes, 5 tries) to your phone to confirm withdrawing
    consent for, or erasing, people of your household. Choosing yourself means your whole
    household, and your account is closed."""
    account = _citizen(request)
    challenge = services.erasure_code_request(
        actor=account, person_ids=data.person_ids, reason=data.reason, ip=client_ip(request)
    )
    return 201, {
        "id": challenge.pk, "reason": challenge.reason, "reason_label": str(ErasureReason(challenge.reason).label),
        "person_ids": challenge.person_ids,
        "expires_at": challenge.expires_at, "account_closes": selectors.includes_self(account, challenge.person_ids),
    }


@router.post(
    "/erasure-codes/{code_id}/confirm", response={202: ConfirmOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
)
def erasure_confirm(request: AuthedRequest, code_id: int, data: ConfirmIn) -> tuple[int, dict[str, Any]]:
    """Confirm with the code: processing stops at once and the erasure runs in the background.
    If your own person was chosen, your account is closed and this token stops working."""
    account = _citizen(request)
    # Like the confirmation page: a code id that is not yours (or no longer usable) is a 404.
    if selectors.erasure_code_for_account(account=account, code_id=code_id) is None:
        raise Http404
    started = services.erasure_confirm(actor=account, code_id=code_id, code=data.code.strip(), ip=client_ip(request))
    return 202, {"erasures": started.erasures, "account_closed": started.account_closed}


class ErasuresQuery(QuerySchema):
    limit: int = Field(20, ge=1, le=200)
    cursor: str | None = Field(None, description="the previous page's X-Next-Cursor header")


@router.get("/erasures", response={200: list[ErasureOut], 400: ErrorOut, 403: ErrorOut})
def erasures(request: AuthedRequest, response: HttpResponse, query: Query[ErasuresQuery]) -> list[Any]:
    """The erasures you asked for, newest first, with their progress. Keyset pages of `limit`
    (20): the next page's cursor is in the `X-Next-Cursor` header (and `Link`, rel="next"), the
    whole list's size in `X-Total-Count`."""
    page = selectors.erasures_requested_by_page(account=_citizen(request), cursor=query.cursor, limit=query.limit)
    keyset_headers(response, request, page, params={"limit": query.limit})
    return page.items


class SubjectRequestQuery(QuerySchema):
    kind: Literal["", "export", "erasure", "consent_withdrawal"] = ""
    status: Literal["", "in_progress", "done"] = ""
    date_from: date | None = Field(None, description="first local day received (Asia/Ho_Chi_Minh), inclusive")
    date_to: date | None = Field(None, description="last local day received, inclusive")
    limit: int = Field(subject_requests.LIMIT, ge=1, le=500)
    cursor: str | None = Field(None, description="the previous page's X-Next-Cursor header (same filters)")


class SubjectRequestOut(Schema):
    ref: str = Field(..., description='where it is recorded: "erasure-{id}" or "audit-{event id}"')
    kind: str = Field(..., description="export, erasure or consent_withdrawal")
    kind_label: str
    detail: str = Field(..., description='for a download: whose data ("My data" or the household)')
    requester_id: int | None
    requester_label: str = Field(..., description="the account's number and masked phone, never a name")
    person_ids: list[int]
    received_at: datetime
    due_at: datetime = Field(..., description="received_at + 72 hours (Decree 13/2023/NĐ-CP)")
    status: str = Field(..., description="in_progress or done")
    status_label: str
    completed_at: datetime | None
    overdue: bool = Field(..., description="answered after due_at, or still open past it")


@router.get("/requests", response={200: list[SubjectRequestOut], 400: ErrorOut, 403: ErrorOut})
def requests_list(
    request: AuthedRequest, response: HttpResponse, q: Query[SubjectRequestQuery]
) -> list[SubjectRequestOut]:
    """Data-subject requests (downloads, erasures, consent withdrawals), newest first, each with
    its 72-hour due time and status. Keyset pages of `limit` (200): the next page's cursor is in
    the `X-Next-Cursor` header (and `Link`, rel="next"; pass it with the same filters), the whole
    list's size in `X-Total-Count`. Data-protection officers only."""
    if q.date_from and q.date_to and q.date_from > q.date_to:
        message = _("The end date is before the start date.")
        raise ServiceError(message, fields={"date_to": message})
    filters = subject_requests.RequestFilters(kind=q.kind, status=q.status, date_from=q.date_from, date_to=q.date_to)
    try:
        page = subject_requests.subject_requests_page(
            user=request.auth, filters=filters, cursor=q.cursor, limit=q.limit
        )
    except PermissionDenied as exc:
        raise ServiceError(
            _("Only the data-protection officer can read the data-subject requests."), code="forbidden", status=403
        ) from exc
    keyset_headers(response, request, page, params={
        "kind": q.kind, "status": q.status, "date_from": q.date_from, "date_to": q.date_to, "limit": q.limit,
    })
    return [
        SubjectRequestOut(
            ref=r.ref, kind=r.kind, kind_label=r.kind_label, detail=r.detail, requester_id=r.requester_id,
            requester_label=r.requester_label, person_ids=list(r.person_ids), received_at=r.received_at,
            due_at=r.due_at, status=r.status, status_label=r.status_label, completed_at=r.completed_at,
            overdue=r.overdue,
        )
        for r in page.items
    ]
