from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from khaibao.accounts.access import describe_scope
from khaibao.accounts.phones import mask_phone

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str | None
    display_name: str
    phone: str | None
    role: str
    roles: list[str]
    scope: dict[str, Any]


@router.get("", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    """The signed-in account, its roles and the scope of what it may see."""
    account = request.auth  # type: ignore[attr-defined]
    return {
        "id": account.pk,
        "username": account.username,
        "display_name": account.display_name,
        "phone": mask_phone(account.phone) if account.phone else None,
        "role": account.role,
        "roles": account.roles(),
        "scope": describe_scope(account),
    }
