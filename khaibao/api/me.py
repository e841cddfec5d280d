from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from khaibao.accounts.models import Role
from khaibao.accounts.phones import mask_phone
from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.declarations.labels import declared_as_label
from khaibao.orgs.selectors import pending_memberships
from khaibao.people.access import account_roles, describe_scope
from khaibao.privacy.selectors import export_json
from khaibao.privacy.services import household_export

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str | None
    display_name: str
    phone: str | None
    role: str
    role_label: str = Field(..., description="the account's role in words, in the request's language")
    roles: list[str] = Field(..., description='the role, plus "volunteer" while an appointment is in force')
    role_labels: list[str] = Field(..., description="each of `roles` in words, in the same order")
    scope: dict[str, Any]
    pending_memberships: int = Field(
        0, description="roster lines linked to your phone awaiting your answer (GET /memberships)"
    )


def _role_label(code: str) -> str:
    # An account's role is worded by accounts.Role; "volunteer" (people.access.account_roles: an
    # appointment in force) is the role a volunteer declares in, worded by declarations.DeclaredAs.
    if code in Role.values:
        return str(Role(code).label)
    return declared_as_label(code)


@router.get("", response=MeOut)
def me(request: AuthedRequest) -> dict[str, Any]:
    """The signed-in account, its roles and the scope of what it may see."""
    account = request.auth
    roles = account_roles(account)
    return {
        "id": account.pk,
        "username": account.username,
        "display_name": account.display_name,
        "phone": mask_phone(account.phone) if account.phone else None,
        "role": account.role,
        "role_label": _role_label(account.role),
        "roles": roles,
        "role_labels": [_role_label(role) for role in roles],
        "scope": describe_scope(account),
        # So the app can ask right after sign-in (issue 21), without a second request first.
        "pending_memberships": pending_memberships(account).count(),
    }


@router.get("/export", response={200: dict[str, Any], 403: ErrorOut})
def export(request: AuthedRequest) -> HttpResponse:
    """Everything stored about your household as JSON, with ID and phone numbers in full
    (it is your own data). Each download is recorded in the audit trail. Citizens only."""
    account = request.auth
    if account.role != Role.CITIZEN:
        raise ServiceError(_("Only citizens have a household to export."), code="citizens_only", status=403)
    data = household_export(actor=account, ip=client_ip(request))
    return HttpResponse(export_json(data), content_type="application/json; charset=utf-8")
