"""The root URLconf's error handlers (handler400/403/404/500) and the CSRF failure view.

Under `/api/` every failure answers the API's error format (`core.http.error_response`); elsewhere a
calm page in the person's language with a way back — to the staff console under `/staff/`, to the
home page otherwise. A transient database failure (unreachable, restarting, a time limit hit —
khaibao.core.failures) answers 503 with Retry-After; any other unhandled error 500 with an error
id that is also in the log line.

Django calls these only with DEBUG off (with DEBUG on it shows its debug pages). The pages are
rendered without the request — no context processor, so no database and no session — because
they must render while the database is down (the hotlines, read from settings, are passed in);
if even that fails, a plain-text answer goes out.
The one place that answers failures for every face; it knows no face, only the path.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

from khaibao.core.failures import is_transient, log_failure, new_error_id
from khaibao.core.hotlines import hotline_links
from khaibao.core.http import error_response

logger = logging.getLogger(__name__)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _page(
    request: HttpRequest, status: int, context: dict[str, Any] | None = None, *, template: int | None = None
) -> HttpResponse:
    # No context processor runs here: the hotlines the footer shows (settings only) are passed in.
    context = {"staff": request.path.startswith("/staff/"), "hotlines": hotline_links(), **(context or {})}
    body: str
    try:
        body = loader.render_to_string(f"{template or status}.html", context)
        content_type = "text/html; charset=utf-8"
    except Exception:  # the page of last resort must not fail: a missing static manifest, a template bug
        logger.exception("the %s page could not be rendered", status)
        body = _("The service is temporarily unavailable. Please try again later.")
        content_type = "text/plain; charset=utf-8"
    return HttpResponse(body, status=status, content_type=content_type)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(400, "bad_request", _("The request could not be understood."))
    return _page(request, 400, template=404)  # a malformed address: to the person, a page not found


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(403, "forbidden", _("You are not allowed to do this."))
    return _page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return error_response(404, "not_found", _("Not found."))
    return _page(request, 404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form whose CSRF token no longer matches (an old tab, cookies cleared): say so plainly."""
    if _is_api(request):
        return error_response(403, "csrf_failed", _("Send a bearer token: the API does not use cookies."))
    return _page(request, 403, {"csrf": True})


def server_error(request: HttpRequest) -> HttpResponse:
    """Called by Django inside its `except` block, so the exception is still in sys.exc_info()."""
    exc = sys.exc_info()[1]
    transient = is_transient(exc)
    error_id = new_error_id()
    log_failure(method=request.method or "", path=request.path, exc=exc, error_id=error_id, transient=transient)
    retry_after = settings.DB_UNAVAILABLE_RETRY_AFTER_SECONDS
    response: HttpResponse
    if _is_api(request) and transient:
        response = error_response(
            503,
            "unavailable",
            _("The service is temporarily unavailable. Please try again in a few seconds."),
            headers={"Retry-After": str(retry_after)},
            error_id=error_id,
        )
    elif _is_api(request):
        response = error_response(
            500, "server_error", _("Something went wrong on our side. Please try again later."), error_id=error_id
        )
    elif transient:
        response = _page(request, 503, {"retry_after": retry_after, "error_id": error_id})
        response["Retry-After"] = str(retry_after)
    else:
        response = _page(request, 500, {"error_id": error_id})
    response["Cache-Control"] = "no-store"
    # Logged above, with the error id; Django would add a second line without it.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
