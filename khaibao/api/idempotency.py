"""`Idempotency-Key` for every POST under /api/ (retries from flaky mobile networks).

The view runs inside one transaction together with the insert of the key's record, so:
* a replay with the same key and body returns the stored response, with no second write;
* the same key with a different body answers 422;
* two concurrent first attempts cannot both write: the loser's unique-key insert fails, its
  whole transaction (its write included) rolls back and it replays the winner's response.
Only successful (2xx) responses are stored; a refused request may be corrected and retried.
A key is remembered for IDEMPOTENCY_KEY_TTL_HOURS.

The record's read and insert run on every create request of the API (declarations in the
morning rush): they are precompiled statements (core/rowsql.py), which answer as the ORM would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.tokens import request_account
from khaibao.api.errors import error_response
from khaibao.api.models import IdempotencyRecord
from khaibao.core import crypto, rowsql
from khaibao.core.http import client_ip

HEADER = "Idempotency-Key"


def _owner(request: HttpRequest) -> str:
    account = request_account(request)
    if account is not None:
        return f"account:{account.pk}"
    return "anon:" + crypto.blind_index(client_ip(request), purpose="idempotency-ip")[:32]


_BY_OWNER_KEY: Final = 'owner = %s AND "key" = %s'


def _record(owner: str, key: str) -> IdempotencyRecord | None:
    return rowsql.fetch(IdempotencyRecord, _BY_OWNER_KEY, [owner, key])


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
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
        digest = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), request.body])
        ).hexdigest()

        existing = _record(owner, key)
        if existing is not None and existing.created_at < timezone.now() - timedelta(
            hours=settings.IDEMPOTENCY_KEY_TTL_HOURS
        ):
            # Past its lifetime a key is free again (clients retry for minutes, not days).
            IdempotencyRecord.objects.filter(pk=existing.pk).delete()
            existing = None
        if existing is not None:
            return self._answer_existing(existing, digest)
        try:
            with transaction.atomic():
                response = self.get_response(request)
                if not 200 <= response.status_code < 300 or getattr(response, "streaming", False):
                    if response.status_code >= 500:
                        transaction.set_rollback(True)
                    return response
                rowsql.create(IdempotencyRecord(
                    owner=owner,
                    key=key,
                    method=request.method,
                    path=request.path[:500],
                    request_hash=digest,
                    status_code=response.status_code,
                    content_type=response.get("Content-Type", "application/json"),
                    body=response.content,
                ))
                return response
        except IntegrityError:
            # A concurrent request with the same key committed first; ours rolled back whole.
            winner = _record(owner, key)
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
