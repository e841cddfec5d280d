"""Which bodies each API route takes, and the one check of them (issue 18, item 3).

Every route reads JSON of at most API_MAX_BODY_BYTES. Two take multipart/form-data too, each with a
larger ceiling of its own: an organisation roster (CSV/XLSX, up to 20,000 rows — orgs/roster.py)
and a citizen report (up to 3 photos of 5 MB plus text — issue 6). The schema says the same
(`requestBody` content types); khaibao/security_suite/test_bad_bodies.py keeps the two equal.

`api_body_refusal` is what any middleware stack serving /api/ calls first (today
`api.middleware.ApiBodyLimitMiddleware`): the check itself is `core.bodies.body_refusal`.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from khaibao.core.bodies import body_refusal

_ROSTER = re.compile(r"^/api/v1/orgs/\d+/roster/?$")
_REPORTS = re.compile(r"^/api/v1/reports/?$")


def _multipart_limit(path: str, method: str) -> int | None:
    if method != "POST":
        return None
    if _ROSTER.match(path):
        return 10 * 1024 * 1024
    if _REPORTS.match(path):
        return int(settings.REPORT_API_MAX_BODY_BYTES)
    return None


def takes_multipart(path: str, method: str) -> bool:
    return _multipart_limit(path, method.upper()) is not None


def body_limit(path: str, method: str, *, multipart: bool) -> int:
    """The largest body `method path` takes as JSON, or as multipart where it takes that."""
    if multipart:
        return _multipart_limit(path, method.upper()) or int(settings.API_MAX_BODY_BYTES)
    return int(settings.API_MAX_BODY_BYTES)


def api_body_refusal(request: HttpRequest) -> HttpResponse | None:
    """The JSON error for a bad body on an API route (413, 415, 400 malformed_multipart), or None."""
    if not request.path.startswith("/api/"):
        return None
    return body_refusal(
        request,
        json_limit=int(settings.API_MAX_BODY_BYTES),
        multipart_limit=_multipart_limit(request.path, request.method or ""),
    )
