from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from khaibao.core.errors import RateLimited


def client_ip(request: HttpRequest) -> str:
    """The caller's address; X-Forwarded-For is only believed behind configured proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def mark_rate_limited(response: HttpResponse, refusal: BaseException | None) -> HttpResponse:
    """A page refused by a rate limit answers 429 with Retry-After, as the API does."""
    if isinstance(refusal, RateLimited):
        response.status_code = 429
        response["Retry-After"] = str(refusal.retry_after)
    return response
