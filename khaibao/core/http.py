from __future__ import annotations

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
) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}},
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
