"""Volunteers (issue 7): appointments by organisation admins and ward health officials, and
the people a volunteer assists (registered with their consent).

- `GET/POST /volunteers`, `DELETE /volunteers/{id}`: organisation admins (units of their
  subtree) and ward health officials (their ward). An appointment outside the caller's scope
  is 404.
- `GET/POST /volunteers/assisted`, `POST /volunteers/assisted/{id}/confirm` (and `/resend`),
  `DELETE /volunteers/assisted/{id}`: the volunteer. `{id}` is the delegation's id; the person
  it names is `person.id`, used with the existing `/people/{id}/…` declaration endpoints.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from khaibao.api.auth import AuthedRequest
from khaibao.api.idempotency import idempotency_outside_transaction
from khaibao.api.people import PersonOut, SexIn, _PersonRules
from khaibao.api.schemas import ApiDate, ApiDateTime, ErrorOut, QuerySchema, StrictSchema, keyset_headers
from khaibao.core.http import client_ip
from khaibao.monitoring.selectors import assisted_dict, volunteer_assisted
from khaibao.orgs import volunteers as appointments
from khaibao.people import volunteers
from khaibao.people.access import (
    access_delegation_for_volunteer,
)
from khaibao.people.models import ConsentMethod

router = Router(tags=["volunteers"])


class AppointmentIn(StrictSchema):
    """`phone`: the citizen's sign-in phone, exactly. `org_unit_id`: organisation admins only
    (default: your own unit)."""

    phone: str
    expires_at: ApiDateTime = Field(..., description="ISO 8601; Asia/Ho_Chi_Minh when no offset")
    org_unit_id: int | None = None
    max_assisted: int | None = Field(
        None, description="people the volunteer may assist at once, 1 to 200 (default: VOLUNTEER_MAX_ASSISTED, 30)",
        json_schema_extra={"minimum": 1, "maximum": 200},
    )


class AppointmentOut(Schema):
    id: int
    account_id: int
    display_name: str
    phone: str | None
    org_unit_id: int | None
    ward_code: int | None
    starts_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool
    max_assisted: int


class AssistedIn(_PersonRules):
    """An assisted person (same rules as a household member; `ward_code` is required) and their
    consent: `"code"` sends a one-time code to `phone` (confirm it next), `"witnessed"` needs
    `attested: true` and `witness_name`."""

    full_name: str
    date_of_birth: ApiDate | None = None
    birth_year: int | None = None
    sex: SexIn
    nationality: str = "VN"
    id_number: str | None = None
    phone: str | None = None
    ward_code: int | None = None
    street: str | None = None
    consent_method: Literal["code", "witnessed"]
    witness_name: str = ""
    attested: bool = False


class ConfirmIn(StrictSchema):
    code: str


class AssistedOut(Schema):
    id: int
    person: PersonOut
    consent_method: str | None
    consent_method_label: str | None = Field(None, description="the consent method in words, in the request's language")
    consent_witness: str | None
    consent_recorded_at: datetime | None
    pending: bool
    declared: bool = Field(
        ..., description="whether the person ever declared; until then their pass is grey and a daily update is not enough",
    )
    updated_today: bool

    # The model's own words (people.models.ConsentMethod).
    @staticmethod
    def resolve_consent_method_label(obj: dict[str, Any]) -> str | None:
        method = obj["consent_method"]
        return str(ConsentMethod(method).label) if method else None


def _entry(delegation: Any) -> dict[str, Any]:
    entries = volunteer_assisted(account=delegation.volunteer)
    return assisted_dict(next(e for e in entries if e.delegation.pk == delegation.pk))


class AppointmentsQuery(QuerySchema):
    limit: int = Field(500, ge=1, le=500)
    cursor: str | None = Field(None, description="the previous page's X-Next-Cursor header")


@router.get("", response={200: list[AppointmentOut], 400: ErrorOut})
def appointments_list(
    request: AuthedRequest, response: HttpResponse, query: Query[AppointmentsQuery],
) -> list[dict[str, Any]]:
    """The appointments you manage, newest first (empty for anyone else). Keyset pages of
    `limit`: the next page's cursor is in the `X-Next-Cursor` header (and `Link`, rel="next"),
    the whole list's size in `X-Total-Count`."""
    page = appointments.appointments_page(request.auth, cursor=query.cursor, limit=query.limit)
    keyset_headers(response, request, page, params={"limit": query.limit})
    return [appointments.appointment_dict(a) for a in page.items]


@router.post("", response={201: AppointmentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def appointment_create(request: AuthedRequest, data: AppointmentIn) -> Status:
    """Make a citizen a volunteer until `expires_at` (at most one year ahead)."""
    appointment = appointments.volunteer_appoint(
        actor=request.auth, phone=data.phone, expires_at=data.expires_at,
        org_unit_id=data.org_unit_id, max_assisted=data.max_assisted, ip=client_ip(request),
    )
    return Status(201, appointments.appointment_dict(appointment))


@router.get("/assisted", response={200: list[AssistedOut]})
def assisted_list(request: AuthedRequest) -> list[dict[str, Any]]:
    """The people you assist (pending consent included), whether they have declared and whether
    today's update is in."""
    return [assisted_dict(e) for e in volunteer_assisted(account=request.auth)]


# A new code's SMS goes out after its code commits, not inside a key's transaction: a failed commit
# would leave the person with a code that does not exist (people/volunteers.py; a registration
# sends its code on commit, so it stays inside the key's transaction and its claim).
idempotency_outside_transaction("POST", r"/api/v1/volunteers/assisted/\d+/resend")


@router.post(
    "/assisted", response={201: AssistedOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut, 429: ErrorOut, 503: ErrorOut}
)
def assisted_start(request: AuthedRequest, data: AssistedIn) -> Status:
    """Register an assisted person. With `"code"` the result is `pending` until confirmed; 429
    (with Retry-After) when the person's phone already had its consent codes this hour."""
    delegation = volunteers.assisted_person_start(
        actor=request.auth, consent_method=data.consent_method, full_name=data.full_name,
        sex=data.sex, home_ward_id=data.ward_code, birth_year=data.birth_year, date_of_birth=data.date_of_birth,
        nationality_id=data.nationality, id_number=data.id_number or "", phone=data.phone or "",
        street=data.street or "", witness_name=data.witness_name, attested=data.attested, ip=client_ip(request),
    )
    return Status(201, _entry(delegation))


@router.post("/assisted/{delegation_id}/confirm", response={200: AssistedOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def assisted_confirm(request: AuthedRequest, delegation_id: int, data: ConfirmIn) -> dict[str, Any]:
    """Record consent with the code the assisted person received (6 digits, 5 minutes, 5 tries)."""
    delegation = access_delegation_for_volunteer(request.auth, delegation_id)
    delegation = volunteers.assisted_consent_confirm(
        actor=request.auth, delegation=delegation, code=data.code, ip=client_ip(request),
    )
    return _entry(delegation)


@router.post(
    "/assisted/{delegation_id}/resend", response={204: None, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut, 503: ErrorOut}
)
def assisted_resend(request: AuthedRequest, delegation_id: int) -> Status:
    """Send a fresh consent code (the previous one stops working). 429 `rate_limited` with
    Retry-After within OTP_COOLDOWN_SECONDS of the last code, or past the phone's codes for the hour."""
    delegation = access_delegation_for_volunteer(request.auth, delegation_id)
    volunteers.assisted_consent_resend(actor=request.auth, delegation=delegation, ip=client_ip(request))
    return Status(204, None)


@router.delete("/assisted/{delegation_id}", response={204: None, 404: ErrorOut})
def assisted_end(request: AuthedRequest, delegation_id: int) -> Status:
    """Stop assisting this person (ends the delegation; their records stay theirs)."""
    delegation = access_delegation_for_volunteer(request.auth, delegation_id)
    volunteers.assisted_revoke(actor=request.auth, delegation=delegation, ip=client_ip(request))
    return Status(204, None)


# Last: "/{appointment_id}" would otherwise also match "/assisted".
@router.delete("/{appointment_id}", response={204: None, 404: ErrorOut})
def appointment_revoke(request: AuthedRequest, appointment_id: int) -> Status:
    """Revoke an appointment: the volunteer's access to assisted people ends at once."""
    appointment = appointments.access_appointment(request.auth, appointment_id)
    appointments.volunteer_revoke(actor=request.auth, appointment=appointment, ip=client_ip(request))
    return Status(204, None)
