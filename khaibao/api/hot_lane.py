"""The hot lane: the two requests every citizen sends every day — the status read
(`GET /api/v1/people/{id}/status`) and the daily update (`PUT /api/v1/people/{id}/updates/{day}`)
— answered before URL resolution and ninja (issue 19: the status read ≥ 0.5 of the bare read, the
daily update's R3 ≥ 0.35; bench/RESULTS.md, "Issue 19, the status lane" and "the eleventh pass").

Reached through ninja, each paid Django's URL resolution — a walk over the API's routes in the
order the routers are added, these two being the ~25th and later — and ninja's operation (its auth
callbacks, the parameters' models, the temporal response): a sixth of a status read's CPU, about a
tenth of a daily update's, for routes that take an integer and a date from their path and, for
the update, one small body. This middleware is the last of API_MIDDLEWARE, so the overload
shedding, the security headers, the body checks, the rate limits with the token's deny-list, the
language, CommonMiddleware and Idempotency-Key have all applied, once, as for any API request. It
answers with the views' own functions (`api.declarations.status_answer`,
`api.daily_updates.daily_update_answer`: the access check, the read or write, the labels,
`json_answer`) and turns an exception into an answer with the API's own handlers
(`api.on_exception`), as ninja's operation does.

Whatever it does not handle goes on to ninja unchanged, so ninja keeps every refusal's wording:
another method or path, a path ninja would refuse (not a plain decimal id, not a real date), a
request without a valid token (ninja's 401), an update body that is not JSON or that the schema
refuses (ninja's 400/422), and an update marked for rush mode (the rush lane before this one, or
the view, stores it first). `api/tests/test_hot_lane_status.py` and `test_hot_lane_update.py`
compare its answers with ninja's, byte for byte; `STATUS_LANE=0` / `UPDATE_LANE=0` send a route
through ninja (the same answer, dearer).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from khaibao.accounts.models import Account
from khaibao.accounts.tokens import request_account
from khaibao.api.daily_updates import UPDATE_PATH, daily_update_answer, update_input
from khaibao.api.declarations import status_answer
from khaibao.api.v1 import api
from khaibao.core.overload import rush_requested

# The operations' paths (api/v1.py mounts both routers at /people). A plain decimal id without a
# leading zero only, of at most 18 digits (a bigint), and a day written YYYY-MM-DD: anything else
# ninja answers.
_STATUS: Final = re.compile(r"/api/v1/people/([1-9][0-9]{0,17})/status")

Answer = Callable[[Account], HttpResponse]


class HotLaneMiddleware:
    """In API_MIDDLEWARE, last: the status read and the daily update answered without URL
    resolution nor ninja."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        method = request.method
        if method == "GET":
            match = _STATUS.fullmatch(request.path_info) if settings.STATUS_LANE else None
        elif method == "PUT":
            lane = settings.UPDATE_LANE and not rush_requested(request)
            match = UPDATE_PATH.fullmatch(request.path_info) if lane else None
        else:
            match = None
        if match is None:
            return self.get_response(request)
        # As ninja's operation: the token first (its 401 before any body is read), then the input.
        account = request_account(request)
        if account is None:
            return self.get_response(request)  # ninja's 401, in the API's error format
        answer = _status(request, match) if method == "GET" else _update(request, match)
        if answer is None:
            return self.get_response(request)
        request.auth = account  # type: ignore[attr-defined]  # as ninja's bearer auth sets it
        try:
            return answer(account)
        except Exception as exc:  # as ninja's Operation.run: the API's handlers answer
            return api.on_exception(request, exc)


def _status(request: HttpRequest, match: re.Match[str]) -> Answer:
    person_id = int(match[1])
    return lambda account: status_answer(request, account, person_id)


def _update(request: HttpRequest, match: re.Match[str]) -> Answer | None:
    read = update_input(request, match[2])
    if read is None:
        return None
    day, data = read
    person_id = int(match[1])
    return lambda account: daily_update_answer(request, account, person_id, day, data)
