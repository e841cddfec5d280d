"""The API's bearer authentication: the account behind `Authorization: Bearer …`
(`accounts.tokens.request_account`, shared with the console's export download)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from khaibao.accounts.tokens import request_account


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return request_account(request)


bearer = BearerAuth()
