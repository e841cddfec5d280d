"""`Idempotency-Key` for every write under /api/ — POST, PUT, PATCH, DELETE (retries from flaky
mobile networks; docs/api.md lists the write endpoints).

A PUT is idempotent by itself only as long as nothing else happened in between: a late retry of
yesterday's daily update would replace a newer one. With a key, it is answered like a create
(issue 18, item 5); without one, it keeps its PUT semantics.

The view runs inside one transaction together with the insert of the key's record, so:
* a replay with the same key and body returns the stored response, with no second write;
* the same key with a different body answers 422;
* two concurrent first attempts cannot both write: the loser's unique-key insert fails, its
  whole transaction (its write included) rolls back and it replays the winner's response.
Only successful (2xx) responses are stored; a refused request may be corrected and retried.
The records, their expiry and their purge belong to khaibao/core/idempotency.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from khaibao.api.auth import request_account
from khaibao.core import crypto
from khaibao.core.http import client_ip, error_response
from khaibao.core.idempotency import idempotency_record_live, idempotency_record_store
from khaibao.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
# Every method that writes: a key sent with any of them is honoured, never silently ignored.
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def idempotency_owner(request: HttpRequest) -> str:
    """Under whom `request`'s key is kept: its account, or else its address (hashed)."""
    return _owner(request)


def idempotency_digest(request: HttpRequest) -> str:
    """What a replay must match: the method, the path and the body."""
    return hashlib.sha256(b"\n".join([(request.method or "").encode(), request.path.encode(), request.body])).hexdigest()


def idempotency_key(request: HttpRequest) -> str | None:
    """The request's usable Idempotency-Key of a write under /api/; None when it has none or one the
    middleware refuses (it answers that request itself)."""
    key = request.headers.get(HEADER)
    if key is None or request.method not in METHODS or not request.path.startswith("/api/"):
        return None
    key = key.strip()
    return key if key and len(key) <= 255 else None


def idempotency_answer(record: IdempotencyRecord, digest: str) -> HttpResponse:
    """The answer to a request whose key has a live `record`: its stored answer replayed, or 422
    when the request differs from the one that stored it."""
    return IdempotencyMiddleware._answer_existing(record, digest)


def _owner(request: HttpRequest) -> str:
    account = request_account(request)
    if account is not None:
        return f"account:{account.pk}"
    return "anon:" + crypto.blind_index(client_ip(request), purpose="idempotency-ip")[:32]


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method not in METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > 255:
            return error_response(
                400,
                "invalid_idempotency_key",
                _("Idempotency-Key must be 1 to 255 characters."),
                {HEADER: _("Idempotency-Key must be 1 to 255 characters.")},
            )
        owner = _owner(request)
        digest = idempotency_digest(request)

        existing = idempotency_record_live(owner=owner, key=key)
        if existing is not None:
            return self._answer_existing(existing, digest)
        try:
            with transaction.atomic():
                response = self.get_response(request)
                if not 200 <= response.status_code < 300 or getattr(response, "streaming", False):
                    if response.status_code >= 500:
                        transaction.set_rollback(True)
                    return response
                idempotency_record_store(
                    owner=owner,
                    key=key,
                    method=request.method,
                    path=request.path,
                    request_hash=digest,
                    status_code=response.status_code,
                    content_type=response.get("Content-Type", "application/json"),
                    body=response.content,
                )
                return response
        except IntegrityError:
            # A concurrent request with the same key committed first; ours rolled back whole.
            winner = idempotency_record_live(owner=owner, key=key)
            if winner is None:
                raise
            return self._answer_existing(winner, digest)

    @staticmethod
    def _answer_existing(record: IdempotencyRecord, digest: str) -> HttpResponse:
        if record.request_hash != digest:
            return error_response(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was already used with a different request."),
                {HEADER: _("Use a new key for a different request.")},
            )
        return _replay(record)
