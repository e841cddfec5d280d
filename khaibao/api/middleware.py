from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.access_tokens import access_token_verify, is_access_token
from khaibao.accounts.tokens import remember_access, request_account, request_bearer
from khaibao.api.bodies import api_body_refusal
from khaibao.core import crypto
from khaibao.core.http import client_ip, error_response


class ApiBodyLimitMiddleware:
    """Refuse bad API bodies before anything reads them: oversized (413), mistyped (415), unreadable
    multipart (400) — the checks are `api.bodies.api_body_refusal`; and give ninja's bare 405 the
    error format."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = api_body_refusal(request)
        if refusal is not None:
            return refusal
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            # ninja answers a wrong method with a bare text 405; clients expect the error format.
            allowed = response.get("Allow", "")
            response = error_response(
                405,
                "method_not_allowed",
                _("This address does not accept %(method)s.") % {"method": request.method},
                headers={"Allow": allowed} if allowed else None,
            )
        return response


class ApiTokenRateLimitMiddleware:
    """Limit bearer-token use per token and per client address, before any view runs.

    Three fixed one-minute windows: requests per token (API_RATE_PER_TOKEN_PER_MINUTE), requests
    carrying a token per address (API_RATE_PER_IP_PER_MINUTE: generous, as mobile carriers put
    many phones behind one address), and unknown/expired/revoked tokens per address
    (API_BAD_TOKEN_PER_IP_PER_MINUTE: guessing tokens is pointless, but scanning is still noise).
    Over a limit: 429 in the API's error format with Retry-After. A signed access token's
    deny-list entries are read in the same round trip (decision 0008).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request_bearer(request)
        if not value:
            return self.get_response(request)
        ip = client_ip(request)
        window = 60
        # A signed access token is checked here without I/O (accounts/access_tokens.py); its
        # deny-list entries (session signed out, account closed) are read with the counters.
        claims = access_token_verify(value) if is_access_token(value) else None
        subject = f"s{claims.session_id}" if claims is not None else crypto.secret_hash(value)[:32]
        # One round trip for the three counters and the deny-list (the token's counter is keyed
        # by its session or its hash, so it can be counted before the token is known valid).
        (per_ip, per_token), (bad_tokens, *deny) = ratelimit.hits_and_counts(
            hit=[f"api-ip:{ip}", f"api-token:{subject}"],
            peek=[f"api-bad-token-ip:{ip}", *(claims.deny_keys() if claims is not None else [])],
            window_seconds=window,
        )
        if is_access_token(value):
            remember_access(request, claims if claims is not None and not any(deny) else None)
        if bad_tokens >= settings.API_BAD_TOKEN_PER_IP_PER_MINUTE or per_ip > settings.API_RATE_PER_IP_PER_MINUTE:
            return _too_many(window)
        account = request_account(request)
        if account is None:
            ratelimit.hit(f"api-bad-token-ip:{ip}", window_seconds=window)
            return self.get_response(request)
        if per_token > settings.API_RATE_PER_TOKEN_PER_MINUTE:
            return _too_many(window)
        return self.get_response(request)


def _too_many(retry_after: int) -> HttpResponse:
    return error_response(
        429,
        "rate_limited",
        _("Too many requests. Try again in a minute."),
        headers={"Retry-After": str(retry_after)},
    )
