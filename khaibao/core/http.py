from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from khaibao.core.errors import RateLimited


def client_ip(request: HttpRequest) -> str:
    """The caller's address; X-Forwarded-For is only believed behind configured proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def client_rate_key(request: HttpRequest) -> str:
    """What a per-address rate limit or lockout counts the caller under (`rate_key_of`); the
    audit trail records `client_ip`, the full address."""
    return rate_key_of(client_ip(request))


def rate_key_of(ip: str) -> str:
    """The network a per-address limit counts `ip` under: an IPv4 address as it is, an IPv6
    address's /64 prefix (`2001:db8:1:2::/64`), an IPv4-mapped IPv6 address as its IPv4 address.

    One IPv6 subscriber (a phone, a home router, a rented server) gets a whole /64 and may use a
    new address of it for every request, so a limit on the full address was no limit at all: 60
    sign-in codes from one /64 went through a limit of 30 and used up the national SMS cap. A
    value that is not an address ("unknown", a mangled X-Forwarded-For) is counted as it is.
    Every per-address limit calls this: one place decides what "one address" means.
    """
    if ":" not in ip:  # IPv4 (the common case on the API's hot path) or not an address
        return ip
    return _ipv6_rate_key(ip)


@lru_cache(maxsize=4096)
def _ipv6_rate_key(ip: str) -> str:
    try:
        address = ipaddress.IPv6Address(ip)
    except ValueError:
        return ip
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 caller a.b.c.d
        return str(address.ipv4_mapped)
    # The prefix from the integer: a scoped address (fe80::1%eth0) would not make a network.
    prefix = int(address) >> 64 << 64
    return f"{ipaddress.IPv6Address(prefix)}/64"


# The field a confirmation page's form sends (templates/confirm.html and the pages that confirm in
# place): a destructive action acts only on a POST that carries it.
CONFIRMED_FIELD = "confirmed"


def confirmed_post(request: HttpRequest) -> bool:
    """Whether the request is the confirmation page's POST. A bare POST — an old page, a script,
    a double submit of the first form — is answered with the confirmation page and changes nothing."""
    return request.method == "POST" and request.POST.get(CONFIRMED_FIELD) == "1"


def mark_rate_limited(response: HttpResponse, refusal: BaseException | None) -> HttpResponse:
    """A page refused by a rate limit answers 429 with Retry-After, as the API does."""
    if isinstance(refusal, RateLimited):
        response.status_code = 429
        response["Retry-After"] = str(refusal.retry_after)
    return response


# The one error format of the JSON faces (the API, the SMS gateway's webhook):
# {"error": {"code", "message", "fields": {name: message}}}.
def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    error_id: str | None = None,
) -> JsonResponse:
    error: dict[str, object] = {"code": code, "message": message, "fields": fields or {}}
    if error_id is not None:
        error["id"] = error_id  # on a server failure (500/503): the id of its log line (core/failures.py)
    response = JsonResponse(
        {"error": error},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def csv_attachment(content: str, *, filename: str) -> HttpResponse:
    """A CSV download that spreadsheet programs open as UTF-8 (Vietnamese names), never cached."""
    # The BOM makes Excel read the file as UTF-8.
    response = HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
