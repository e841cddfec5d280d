"""The signed-in citizen's organisation memberships (issue 21): list, confirm, decline.

The same services as the web page `/memberships/` and SMS `XN` / `TUCHOI`
(khaibao.orgs.members): a member who only uses the app can confirm where they are, with the
token they already have — the sign-in code proved the phone the roster names, so no second
code is asked. Retries with the same Idempotency-Key replay the first answer (api.idempotency).

An answer is final: neither the API nor the web page lets a member change it afterwards. The web
asks on a confirmation page first; an app must ask on its own screen before it posts, saying what
the organisation will see (docs/organisations.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from khaibao.accounts.models import Role
from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.core.params import id_in_range
from khaibao.orgs import access, members, selectors
from khaibao.orgs.compliance import membership_label, membership_of
from khaibao.orgs.models import Member

router = Router(tags=["memberships"])


class MembershipOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    role: str
    role_label: str
    listed_as: str = Field(..., description="the name on the organisation's roster")
    state: Literal["awaiting", "confirmed", "declined"]
    state_label: str = Field(..., description="the state in words, in the request's language")
    confirmed_at: datetime | None


def _out(member: Member) -> dict[str, Any]:
    state = membership_of(confirmed_at=member.confirmed_at, declined_at=member.declined_at)
    return {
        "id": member.pk, "unit_id": member.unit_id, "unit_name": member.unit.name, "role": member.role,
        "role_label": member.get_role_display(), "listed_as": member.full_name,
        "state": state, "state_label": membership_label(state),
        "confirmed_at": member.confirmed_at,
    }


def _citizen(request: AuthedRequest) -> Any:
    if request.auth.role != Role.CITIZEN:
        raise ServiceError(_("Only citizens have organisation memberships."), code="citizens_only", status=403)
    return request.auth


def _member(request: AuthedRequest, member_id: int) -> Member:
    if not id_in_range(member_id):
        raise Http404
    return access.access_membership_for_citizen(_citizen(request), member_id)


@router.get("", response={200: list[MembershipOut], 403: ErrorOut})
def membership_list(request: AuthedRequest) -> list[dict[str, Any]]:
    """Roster lines linked to your phone: those awaiting your answer first, then confirmed ones.

    The organisation learns only your answer, and then whether you declared and updated today —
    never your answers or health status (docs/organisations.md)."""
    mine = list(selectors.my_memberships(_citizen(request)))
    mine.sort(key=lambda m: (m.confirmed_at is not None, m.unit.name, m.pk))
    return [_out(m) for m in mine if m.declined_at is None]


@router.post("/{member_id}/confirm", response={200: MembershipOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def membership_confirm(request: AuthedRequest, member_id: int) -> dict[str, Any]:
    """Yes, I belong to this unit: from the next refresh you count in its numbers, and the unit
    sees whether you declared since its campaign started, updated today and the date of your last
    update — never a health detail. Final: it cannot be changed or withdrawn afterwards, so ask
    the member on your own screen first. 409 `already_answered` if you answered already."""
    member = _member(request, member_id)
    return _out(members.membership_confirm(actor=request.auth, member=member, ip=client_ip(request)))


@router.post("/{member_id}/decline", response={200: MembershipOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def membership_decline(request: AuthedRequest, member_id: int) -> dict[str, Any]:
    """This is not me: the line is unlinked from your account and the organisation is told to
    correct it. Final: it cannot be changed afterwards (the line is no longer listed here; the web
    page shows it under "You said this is not you"), so ask the member on your own screen first.
    409 `already_answered` if you answered already."""
    member = _member(request, member_id)
    return _out(members.membership_decline(actor=request.auth, member=member, ip=client_ip(request)))
