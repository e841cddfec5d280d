from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.access_tokens import AccessClaims, access_token_verify, is_access_token
from khaibao.accounts.tokens import remember_access, request_account, request_bearer
from khaibao.api.bodies import api_body_refusal
from khaibao.core import crypto
from khaibao.core.http import client_rate_key, error_response


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
    """Limit bearer-token use per token and per client network, before any view runs.

    Three fixed one-minute windows: requests per token (API_RATE_PER_TOKEN_PER_MINUTE), requests
    carrying a token per network (API_RATE_PER_IP_PER_MINUTE: generous, as mobile carriers put
    many phones behind one address), and forged tokens per network (API_BAD_TOKEN_PER_IP_PER_MINUTE:
    guessing tokens is pointless, but scanning is still noise). A network is an IPv4 address or an
    IPv6 /64 (core/http.py `rate_key_of`): one IPv6 subscriber has a whole /64 to rotate through.
    Over a limit: 429 in the API's error format with Retry-After. A signed access token's
    deny-list entries are read in the same round trip (decision 0008).

    The bad-token limit counts, and refuses, only bad tokens (`_forged`: an access token whose
    format or signature fails, an opaque token that does not authenticate, anything else): not a
    well-signed access token that expired or was signed out, which every app sends now and then
    before it refreshes (docs/api.md) and which gets its 401, and never a token that works. Behind a carrier's NAT thousands of phones share one
    address: what the others send must not refuse anyone's own valid token.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request_bearer(request)
        if not value:
            return self.get_response(request)
        network = client_rate_key(request)
        window = 60
        # A signed access token is checked here without I/O (accounts/access_tokens.py); its
        # deny-list entries (session signed out, account closed) are read with the counters.
        claims = access_token_verify(value) if is_access_token(value) else None
        subject = f"s{claims.session_id}" if claims is not None else crypto.secret_hash(value)[:32]
        # One round trip for the three counters and the deny-list (the token's counter is keyed
        # by its session or its hash, so it can be counted before the token is known valid).
        (per_ip, per_token), (bad_tokens, *deny) = ratelimit.hits_and_counts(
            hit=[f"api-ip:{network}", f"api-token:{subject}"],
            peek=[f"api-bad-token-ip:{network}", *(claims.deny_keys() if claims is not None else [])],
            window_seconds=window,
        )
        if is_access_token(value):
            remember_access(request, claims if claims is not None and not any(deny) else None)
        if per_ip > settings.API_RATE_PER_IP_PER_MINUTE:
            return _too_many(window)
        account = request_account(request)
        if account is None:
            if _forged(value, claims):
                if bad_tokens >= settings.API_BAD_TOKEN_PER_IP_PER_MINUTE:
                    return _too_many(window)
                ratelimit.hit(f"api-bad-token-ip:{network}", window_seconds=window)
            return self.get_response(request)
        if per_token > settings.API_RATE_PER_TOKEN_PER_MINUTE:
            return _too_many(window)
        return self.get_response(request)


# `access_token_verify` with this as "now" checks a token's format and signature, not its expiry.
_BEFORE_ANY_EXPIRY = float("-inf")


def _forged(value: str, claims: AccessClaims | None) -> bool:
    """Whether a bearer value that did not authenticate counts as a bad token: an access token
    whose format or signature fails (not one well signed but expired or signed out), or any
    other value. For an opaque token `token_authenticate` answers alike for one never issued,
    one expired and one revoked: all three count (apps are moving to access tokens, decision 0008)."""
    if claims is not None:  # well signed and unexpired: it failed on the deny-list
        return False
    if is_access_token(value):
        # A second check, without I/O, only on a request that failed.
        return access_token_verify(value, now=_BEFORE_ANY_EXPIRY) is None
    return True


def _too_many(retry_after: int) -> HttpResponse:
    return error_response(
        429,
        "rate_limited",
        _("Too many requests. Try again in a minute."),
        headers={"Retry-After": str(retry_after)},
    )


class ApiLocaleMiddleware:
    """Django's LocaleMiddleware for the API lane, less what cannot apply to it (issue 19: the
    language in and out was ~6 % of a status read's CPU).

    The project has no language-prefixed URLs (no `i18n_patterns`), so Django's middleware looked
    for a language in the path twice per request, found none, and did nothing with it. Here the
    language is Django's own choice (`get_language_from_request`: the language cookie, then
    Accept-Language, then LANGUAGE_CODE), remembered per Accept-Language value for requests
    without cookies (what apps send: a handful of distinct values); the answer gets the same
    `Vary: Accept-Language` and `Content-Language`. With language-prefixed URLs, or a request that
    names its own URLconf, Django's middleware runs instead. `api/tests/test_locale.py` compares
    the two.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.django = LocaleMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # (cached by Django per URLconf)
        if hasattr(request, "urlconf") or is_language_prefix_patterns_used(settings.ROOT_URLCONF)[0]:
            return cast(HttpResponse, self.django(request))  # a sync chain (the API lane)
        meta = request.META
        if meta.get("HTTP_COOKIE"):
            language = translation.get_language_from_request(request)
        else:
            accept = meta.get("HTTP_ACCEPT_LANGUAGE", "")
            language = _by_accept.get(accept) or _remember(accept, translation.get_language_from_request(request))
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if "Vary" in response:
            patch_vary_headers(response, ("Accept-Language",))
        else:
            response["Vary"] = "Accept-Language"
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


# The language chosen for an Accept-Language value (no cookie): bounded, as the header is the
# client's to write.
_by_accept: dict[str, str] = {}
_BY_ACCEPT_MAX = 256


def _remember(accept: str, language: str) -> str:
    if len(_by_accept) < _BY_ACCEPT_MAX:
        _by_accept[accept] = language
    return language


@receiver(setting_changed)
def _languages_changed(*, setting: str, **kwargs: object) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):
        _by_accept.clear()
