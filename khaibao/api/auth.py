from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from khaibao.accounts.models import Account
from khaibao.accounts.tokens import token_authenticate

_UNSET = object()


def request_account(request: HttpRequest) -> Account | None:
    """The account behind the request's bearer token, looked up once per request."""
    cached = getattr(request, "_kb_account", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    account = token_authenticate(value.strip()) if scheme.lower() == "bearer" and value else None
    request._kb_account = account  # type: ignore[attr-defined]
    return account


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return request_account(request)


bearer = BearerAuth()
