"""The status lane: `GET /api/v1/people/{id}/status` answered before ninja (issue 19, the status
read ≥ 0.5 of the bare read; bench/RESULTS.md, "Issue 19, the status lane").

Reached through ninja, a status read paid Django's URL resolution — a walk over every API route
in the order the routers are added, the status read being the ~25th — and ninja's operation
(its auth callbacks, the parameters' validation, the temporal response): about a sixth of the
request's CPU for a route that takes one integer from its path. This middleware is the last of
API_MIDDLEWARE, so the overload shedding, the security headers, the body checks, the rate limits
with the token's deny-list, the language and CommonMiddleware have all applied, once, as for any
API request. It answers with the view's own function (`api.declarations.status_answer`: the
access check, the read, the pass, the labels, `json_answer`), and turns an exception into an
answer with the API's own handlers (`api.on_exception`), as ninja's operation does. Whatever it
does not handle goes on to ninja unchanged: another method, another path or a path ninja would
refuse (not a plain decimal id), and a request without a valid token (ninja's 401).
`api/tests/test_status_lane.py` compares its answers with ninja's, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from khaibao.accounts.tokens import request_account
from khaibao.api.declarations import status_answer
from khaibao.api.v1 import api

# The status operation's path (api/v1.py mounts declarations.router at /people). A plain decimal
# id without a leading zero only, of at most 18 digits (a bigint): anything else ninja answers.
_PATH: Final = re.compile(r"/api/v1/people/([1-9][0-9]{0,17})/status")


class StatusReadMiddleware:
    """In API_MIDDLEWARE, last: the status read answered without URL resolution nor ninja."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not settings.STATUS_LANE:
            return self.get_response(request)
        match = _PATH.fullmatch(request.path_info)
        if match is None:
            return self.get_response(request)
        account = request_account(request)
        if account is None:
            return self.get_response(request)  # ninja's 401, in the API's error format
        request.auth = account  # type: ignore[attr-defined]  # as ninja's bearer auth sets it
        try:
            return status_answer(request, account, int(match[1]))
        except Exception as exc:  # as ninja's Operation.run: the API's handlers answer
            return api.on_exception(request, exc)
