"""Refusing a bad request body before anything reads it, in the JSON error format (issue 18, item 3).

`body_refusal` is the one check of a body's size, type and multipart framing. It answers what is
wrong — 413 (larger than the limit), 415 (a type the route does not take), 400
`malformed_multipart` (no or bad boundary, a part the parser cannot read) — or None when the body
may go on. It runs before authentication, routing and the view, so every caller (anonymous or
not) gets the same answer, with DEBUG on or off: Django's own exceptions for these cases
(`MultiPartParserError`, `RequestDataTooBig`) would otherwise reach its HTML 400 page, or a 500
once a view had caught them half-way.

It knows no route: the caller (the API's `api.bodies.api_body_refusal`, in any middleware stack
that serves /api/) says the limit and whether multipart is taken.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils.translation import gettext as _

from khaibao.core.http import error_response

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
MULTIPART = "multipart/form-data"


def too_large(limit: int) -> HttpResponse:
    return error_response(
        413, "body_too_large", _("The request body is larger than %(limit)s KB.") % {"limit": limit // 1024}
    )


def _unsupported(*, multipart: bool) -> HttpResponse:
    message = (
        _("Send the body as application/json or multipart/form-data.")
        if multipart
        else _("Send the body as application/json.")
    )
    return error_response(415, "unsupported_media_type", message)


def _malformed() -> HttpResponse:
    message = _("The multipart body could not be read: check its boundary and its parts.")
    return error_response(400, "malformed_multipart", message, {"body": message})


def body_refusal(
    request: HttpRequest, *, json_limit: int, multipart_limit: int | None
) -> HttpResponse | None:
    """The error answer for a bad body, or None. `multipart_limit` None: the route takes JSON only.

    A multipart body the route takes is read (up to its limit) and parsed here, so the view finds
    `request.POST`/`FILES` ready and `request.body` still readable (the Idempotency-Key digest).
    """
    if request.method not in BODY_METHODS:
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    largest = max(json_limit, multipart_limit or 0)
    if length < 0 or length > largest:
        return too_large(largest)
    if length == 0:
        return None
    content_type = (request.content_type or "").lower()
    if content_type == JSON or content_type.endswith("+json"):
        if length > json_limit:
            return too_large(json_limit)
        _read_body(request, length)
        return None
    if content_type != MULTIPART:
        return _unsupported(multipart=multipart_limit is not None)
    try:
        # The constructor checks the Content-Type's boundary without reading anything.
        MultiPartParser(request.META, io.BytesIO(), request.upload_handlers, request.encoding)
    except MultiPartParserError:
        return _malformed()
    if multipart_limit is None:
        return _unsupported(multipart=False)
    if length > multipart_limit:
        return too_large(multipart_limit)
    _read_body(request, length)
    try:
        request.POST  # noqa: B018 — parses POST and FILES from the body read above
    except RequestDataTooBig:
        return too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent):
        return _malformed()
    return None


def _read_body(request: HttpRequest, length: int) -> None:
    """Read the body, already bounded by the caller's limit, as `HttpRequest.body` would — which
    itself refuses anything above DATA_UPLOAD_MAX_MEMORY_SIZE, a cap meant for form fields (the
    multipart parser still applies it to them)."""
    if not hasattr(request, "_body"):
        request._body = request.read(length)  # type: ignore[attr-defined]
        request._stream = io.BytesIO(request._body)  # type: ignore[attr-defined]
