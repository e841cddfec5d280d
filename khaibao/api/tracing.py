"""Contact tracing and "break the glass" for health officials.

`router` is mounted at /cases: `POST/GET /cases/{person_id}/contacts`. The case must be in
the official's jurisdiction (or opened by breaking the glass): any other id answers 404.
The contacts themselves may live anywhere: they enter the queue of their own ward.

`break_glass_router` is mounted at /break-glass: a person outside the jurisdiction is found
by exact ID number or phone, opened on a stated reason for 24 hours, and reviewed by a
national official. Other roles get 403.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from khaibao.accounts.models import Account, Role
from khaibao.api.auth import AuthedRequest
from khaibao.api.idempotency import idempotency_checked
from khaibao.api.schemas import ApiDate, ErrorOut, QuerySchema, StrictSchema, keyset_headers
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.core.params import id_in_range
from khaibao.people import break_glass
from khaibao.people.access import access_person_for_user
from khaibao.people.models import Person
from khaibao.tracing import selectors, services

router = Router(tags=["contact tracing"])
break_glass_router = Router(tags=["break the glass"])

KindIn = Literal["household", "workplace", "close", "unmasked", "care_without_ppe", "other"]


def _official(request: AuthedRequest) -> Account:
    account: Account = request.auth
    if account.role != Role.OFFICIAL:
        raise ServiceError(_("Only health officials can do this."), code="officials_only", status=403)
    return account


def _case(request: AuthedRequest, person_id: int, purpose: str) -> Person:
    official = _official(request)
    return access_person_for_user(official, person_id, purpose=purpose, ip=client_ip(request))


class ContactIn(StrictSchema):
    """A contact of the case. `phone` or `id_number` is needed to find and invite them;
    `birth_year` and `sex` only when they are not registered yet (the answer says so)."""

    full_name: str = Field(..., max_length=200)
    phone: str | None = Field(None, max_length=40)
    id_number: str | None = Field(None, max_length=40)
    ward_code: int
    contact_date: ApiDate
    kind: KindIn
    birth_year: int | None = None
    sex: Literal["male", "female", "other"] | None = None


class ContactOut(Schema):
    id: int
    person_id: int
    full_name: str | None = Field(None, description="null when the contact lives outside your jurisdiction")
    initials: str
    kind: str
    kind_label: str = Field(..., description="the kind of contact in words")
    contact_date: date
    level: str = Field(..., description='"F1" (contact of an F0) or "F2" (contact of an F1)')
    level_label: str = Field(..., description='the level in words, e.g. "Close contact (F1)"')
    matched_by: str = Field(..., description='"id_number", "phone" or "new"')
    matched_by_label: str = Field(..., description="how the person was found, in words")
    invited: bool = Field(..., description="the invitation SMS was sent (not merely queued)")
    invitation_status: Literal["none", "queued", "sent", "failed", "gave_up"] = Field(
        ..., description='the invitation SMS: "none" (no phone), "queued", "sent", "failed" (will retry) or "gave_up"'
    )
    invitation_status_label: str = Field(..., description="the invitation's status in words")
    ward_code: int | None = Field(None, description="null when the contact lives outside your jurisdiction")
    ward_name: str | None = Field(None, description="null when the contact lives outside your jurisdiction")
    province_name: str | None = Field(None, description="null when the contact lives outside your jurisdiction")
    registered_at: datetime
    registered_by: str


def _out(row: selectors.ContactRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ContactOut.model_fields}


@router.post("/{person_id}/contacts", response={200: ContactOut, 201: ContactOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def contact_create(request: AuthedRequest, person_id: int, data: ContactIn) -> Status | HttpResponse:
    """Register a contact of the F0 or F1 case `person_id`: 201 when new, 200 when this
    person was already registered as a contact of this case (nothing changes)."""
    source = _case(request, person_id, "contacts_register")
    # The answer names a contact of a case: a replay of its Idempotency-Key is handed back only
    # past the case's access check above (404 once the case is no longer the official's).
    replay = idempotency_checked(request)
    if replay is not None:
        return replay
    contact, created = services.contact_register(
        actor=request.auth,
        source=source,
        data=services.ContactInput(
            full_name=data.full_name, ward_code=data.ward_code, contact_date=data.contact_date, kind=data.kind,
            phone=data.phone or "", id_number=data.id_number or "", birth_year=data.birth_year, sex=data.sex or "",
        ),
        ip=client_ip(request),
    )
    # Only the contact just registered is answered (audited as contact.register, or as
    # contact.already_registered when it was already there), not the list.
    row = next(r for r in selectors.contacts_of(source, viewer=request.auth, audited=False) if r.id == contact.pk)
    return Status(201 if created else 200, _out(row))


class ContactsQuery(QuerySchema):
    limit: int = Field(200, ge=1, le=500)
    cursor: str | None = Field(None, description="the previous page's X-Next-Cursor header")


@router.get("/{person_id}/contacts", response={200: list[ContactOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def contact_list(
    request: AuthedRequest, response: HttpResponse, person_id: int, query: Query[ContactsQuery]
) -> list[dict[str, Any]]:
    """The contacts registered for the case, newest first. Keyset pages of `limit` (200): the next
    page's cursor is in the `X-Next-Cursor` header (and `Link`, rel="next"), the whole list's size
    in `X-Total-Count`; each page shown is audited."""
    source = _case(request, person_id, "contacts_view")
    page = selectors.contacts_of_page(
        source, viewer=request.auth, cursor=query.cursor, limit=query.limit, ip=client_ip(request)
    )
    keyset_headers(response, request, page, params={"limit": query.limit})
    return [_out(r) for r in page.items]


class BreakGlassIn(StrictSchema):
    """Exactly one of `id_number` or `phone` (exact match), and why you need the record."""

    id_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=40)
    person_id: int | None = Field(None, description="only when several people share the phone")
    reason: str = Field(..., max_length=2000)


class BreakGlassOut(Schema):
    person_id: int
    expires_at: datetime | None = Field(None, description="null when the person is already in your jurisdiction")
    grant_id: int | None = None


@break_glass_router.post("", response={200: BreakGlassOut, 201: BreakGlassOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def break_glass_open(request: AuthedRequest, data: BreakGlassIn) -> Status:
    """Open a person outside your jurisdiction for 24 hours. Audited and reviewed nationally."""
    official = _official(request)
    by, value = break_glass.clean_search(id_number=data.id_number or "", phone=data.phone or "")
    person, grant = break_glass.break_glass_open(
        actor=official, by=by, value=value, person_id=data.person_id, reason=data.reason, ip=client_ip(request)
    )
    if grant is None:
        return Status(200, {"person_id": person.pk, "expires_at": None, "grant_id": None})
    return Status(201, {"person_id": person.pk, "expires_at": grant.expires_at, "grant_id": grant.pk})


class GrantOut(Schema):
    id: int
    official: str
    official_scope: str
    person_initials: str
    person_ward: str
    granted_at: datetime
    expires_at: datetime
    active: bool
    reason: str


class ReviewIn(StrictSchema):
    note: str = Field("", max_length=2000)


@break_glass_router.get("/review", response={200: list[GrantOut], 403: ErrorOut})
def break_glass_review_list(request: AuthedRequest, before: int | None = None) -> list[break_glass.GrantRow]:
    """Unreviewed grants, newest first (national officials only); page with `before=<last id>`."""
    official = _official(request)
    if before is not None and not id_in_range(before):
        before = None
    return break_glass.grants_to_review(actor=official, before=before)


class ReviewedOut(Schema):
    id: int
    reviewed_by: str
    reviewed_at: datetime
    review_note: str


@break_glass_router.post("/review/{grant_id}", response={200: ReviewedOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def break_glass_review(request: AuthedRequest, grant_id: int, data: ReviewIn) -> dict[str, Any]:
    """Mark a grant reviewed, with an optional note (national officials only)."""
    official = _official(request)
    if not id_in_range(grant_id):
        raise Http404
    grant = break_glass.break_glass_review(actor=official, grant_id=grant_id, note=data.note, ip=client_ip(request))
    return {
        "id": grant.pk, "reviewed_by": str(official), "reviewed_at": grant.reviewed_at, "review_note": grant.review_note,
    }
