"""Data-subject rights (issue 8): consent given, "my data" download, withdrawal and erasure.

Withdrawing consent or erasing is two calls: ask for a code (sent by SMS to the account's
phone), then confirm with it. Citizens only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from khaibao.accounts.models import Account, Role
from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut, StrictSchema
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.privacy import selectors, services
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
    person_ids: list[int]
    expires_at: datetime
    account_closes: bool


class ConfirmIn(StrictSchema):
    code: str = Field(max_length=10)


class ErasureOut(Schema):
    id: int
    person_id: int
    reason: str
    status: str
    requested_at: datetime
    finished_at: datetime | None


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
        "id": challenge.pk, "reason": challenge.reason, "person_ids": challenge.person_ids,
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


@router.get("/erasures", response={200: list[ErasureOut], 403: ErrorOut})
def erasures(request: AuthedRequest) -> list[Any]:
    """The erasures you asked for, newest first, with their progress."""
    return selectors.erasures_requested_by(account=_citizen(request))
