"""The API's bearer authentication and the typed request of the endpoints behind it."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from khaibao.accounts.models import Account
from khaibao.accounts.tokens import request_account


class AuthedRequest(HttpRequest):
    """A request ninja authenticated with a bearer token (every endpoint but those marked
    `auth=None`): `auth` is the token's account, set by ninja from `BearerAuth`."""

    auth: Account


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Account | None:
        return request_account(request)


bearer = BearerAuth()
