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
