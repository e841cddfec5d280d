"""Who sends a request: the typed request of a signed-in page, and the bearer token of an
API call (looked up once per request)."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from django.http import HttpRequest

from khaibao.accounts.models import Account, ApiToken
from khaibao.accounts.tokens import token_authenticate


class SignedInRequest(HttpRequest):
    """A page request whose sender signed in: `user` is their `Account`, never anonymous.

    Only views behind a decorator that guarantees it (`login_required`, the web's
    `citizen_required` and `volunteer_required`, the console's `staff_passes` and
    `official_required`, …) take this type; django-stubs' documented way to say so.
    """

    user: Account


# The API's rate limit, its idempotency store and ninja's auth all ask who sent a request:
# one lookup, remembered for as long as the request lives.
_tokens: WeakKeyDictionary[HttpRequest, ApiToken | None] = WeakKeyDictionary()


def request_token(request: HttpRequest) -> ApiToken | None:
    """The usable token behind the request's `Authorization: Bearer …`, its account loaded; or None."""
    if request in _tokens:
        return _tokens[request]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    token = token_authenticate(value.strip()) if scheme.lower() == "bearer" and value else None
    _tokens[request] = token
    return token


def request_account(request: HttpRequest) -> Account | None:
    """The account behind the request's bearer token, or None."""
    token = request_token(request)
    return token.account if token is not None else None
