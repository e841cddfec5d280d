"""The rush lane: a daily update marked for rush mode is stored first in ONE statement, before
ninja and the rest of the API's stack (decision D, docs/decisions/0008; bench/RESULTS.md, "Issue
19, rush, second pass").

Rush mode exists to acknowledge more daily updates than the server can assess. Stored first through
the ninja view, an update cost nearly what an assessed one does: four statements and a transaction
(the Idempotency-Key's read, the access check, the write, the key's answer, the commit) — each a
round trip on a worker that has one thread, and a commit that waits for the disk. Here, for a
request the overload checks marked (`rush_requested`), the access check (people.access
`household_declaring_sql`), the update, its pending assessment, its audit event and the key's answer
are **one statement** in autocommit: one round trip, one commit.

This middleware sits in API_MIDDLEWARE after the security headers, the body checks, the rate
limits with the token's deny-list and the language, so those still apply once. Whatever it does
not handle goes on down the stack unchanged, to the ninja view (which stores first too, in rush
mode): another database than PostgreSQL, an opaque (older) token, a body the schema or the service
refuses (their 400), a person outside the household (a volunteer's delegation, or the 404), a key
whose answer expired, a key the Idempotency-Key middleware refuses (its 400: `idempotency_key_read`). A replayed key is answered here from its stored answer, or 422 when the body
differs, as the Idempotency-Key middleware would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from khaibao.accounts.models import Role
from khaibao.api.auth import request_account
from khaibao.api.daily_updates import (
    UPDATE_PATH,
    pending_answer,
    pending_location,
    pending_retry_after,
    update_fields,
    update_input,
)
from khaibao.api.idempotency import (
    INVALID_KEY,
    KeyClaim,
    idempotency_answer,
    idempotency_digest,
    idempotency_key_read,
    idempotency_owner,
)
from khaibao.api.schemas import JSON_CONTENT_TYPE, json_render
from khaibao.core.errors import ServiceError
from khaibao.core.idempotency import idempotency_record_live
from khaibao.core.overload import rush_requested, rush_route
from khaibao.monitoring import services as monitoring_services
from khaibao.monitoring.models import DailyUpdate
from khaibao.monitoring.statements import writes_in_one_statement
from khaibao.people.access import household_declaring_sql


class RushStoreFirstMiddleware:
    """In API_MIDDLEWARE: a daily update marked for rush mode stored first here, in one statement."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not rush_requested(request) or request.method != "PUT" or not settings.RUSH_LANE:
            return self.get_response(request)
        match = UPDATE_PATH.fullmatch(request.path_info)
        if match is None or not rush_route("PUT", request.path_info) or not writes_in_one_statement():
            return self.get_response(request)
        response = _store_first(request, int(match[1]), match[2])
        return response if response is not None else self.get_response(request)


def _store_first(request: HttpRequest, person_id: int, day_text: str) -> HttpResponse | None:
    """The 202 of an update stored first, a replayed answer, or None: the stack answers instead."""
    key = idempotency_key_read(request)
    if key == INVALID_KEY:
        return None  # the Idempotency-Key middleware's 400, before anything is read or stored
    account = request_account(request)
    access = household_declaring_sql(account, person_id)
    if access is None or account is None or account.role != Role.CITIZEN:
        return None
    read = update_input(request, day_text)
    if read is None:
        return None  # the view's 400 or 422, in the API's error format
    day, data = read
    owner = idempotency_owner(request) if key is not None else ""
    path = pending_location(person_id, day)

    # The key's answer, built as the view's own (api/idempotency.py KeyClaim) and stored by the statement.
    claim = KeyClaim(owner=owner, key=key or "", digest=idempotency_digest(request), method="PUT", path=request.path)
    body: list[bytes] = []  # the 202's body, built once: for the key's answer and for the response

    def answer(update: DailyUpdate) -> Model:
        body.append(_body(request, update))
        return claim.record(status_code=202, content_type=JSON_CONTENT_TYPE, body=body[0])

    fields: dict[str, Any] = update_fields(request, account, day, data) | {
        "person_id": person_id, "access": access, "record": answer if key is not None else None,
    }
    try:
        if connection.in_atomic_block:
            # Inside a caller's transaction (tests): a savepoint, so a refused key leaves it usable.
            with transaction.atomic():
                stored = monitoring_services.daily_update_store_declaring(**fields)
        else:
            # Autocommit: the one statement is atomic by itself — no BEGIN, no COMMIT round trip.
            stored = monitoring_services.daily_update_store_declaring(**fields)
    except ServiceError:
        return None  # the view checks again and answers 400 with its field messages
    except IntegrityError:
        if key is None:
            raise
        # The key was used before (or by a concurrent request that committed first): nothing of
        # this one was written.
        record = idempotency_record_live(owner=owner, key=key)
        return idempotency_answer(record, idempotency_digest(request)) if record is not None else None
    if stored is None:
        return None  # not in the household: `access_declaring` decides (a volunteer, or 404)
    update, _created = stored
    response = HttpResponse(body[0] if body else _body(request, update), status=202, content_type=JSON_CONTENT_TYPE)
    response["Location"] = path
    response["Retry-After"] = pending_retry_after()
    return response


def _body(request: HttpRequest, update: DailyUpdate) -> bytes:
    # The view's 202 as ninja renders it through DailyUpdatePendingOut, without the schema's round
    # trip (api.schemas.json_render: 114 → 50 µs); test_rush_lane.py compares the two byte for byte.
    return json_render(request, pending_answer(update), status=202)
