"""API bearer tokens: random, shown once, stored as SHA-256, with expiry and revocation."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, Final, LiteralString
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from khaibao.accounts.models import Account, ApiToken
from khaibao.audit.services import audit_record
from khaibao.core import crypto, rowsql

# How stale `last_used_at` may be: one write per token per this period at most, not one per
# request (it is an UPDATE on the hot path of every API call; bench/RESULTS.md, "Hot path").
LAST_USE_RESOLUTION = timedelta(minutes=15)
TOKEN_PREFIX = "kb_"  # noqa: S105 - a visible prefix (helps secret scanners), not a secret


def token_issue(
    *, account: Account, label: str = "", ttl_days: int | None = None, actor: object = None
) -> tuple[str, ApiToken]:
    """Create a token for `account`; returns the clear value (never stored) and the row."""
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    days = ttl_days if ttl_days is not None else settings.API_TOKEN_TTL_DAYS
    with transaction.atomic():
        token = ApiToken.objects.create(
            account=account,
            token_hash=crypto.secret_hash(value),
            label=label[:100],
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        audit_record(actor=actor or account, action="token.issue", obj=token, data={"label": label[:100]})
    return value, token


def token_authenticate(value: str) -> ApiToken | None:
    """The usable token behind a bearer value, its active account loaded (`token.account`);
    None for unknown, expired or revoked."""
    if not value.startswith(TOKEN_PREFIX) or len(value) > 200:
        return None
    # Every API request runs this: one precompiled statement for the token and its account,
    # which on PostgreSQL also stamps the last use (a WITH … UPDATE in the same statement).
    token_hash = crypto.secret_hash(value)
    now = timezone.now()
    if connection.vendor == "postgresql":
        token = rowsql.fetch_related(
            ApiToken, "account", "a.token_hash = %s", [token_hash],
            with_=_STAMP_WITH, with_params=_stamp_params(now, token_hash),
        )
    else:
        token = rowsql.fetch_related(ApiToken, "account", "a.token_hash = %s", [token_hash])
        if token is not None and (token.last_used_at is None or now - token.last_used_at > LAST_USE_RESOLUTION):
            with connection.cursor() as cursor:
                cursor.execute(f"{_STAMP_UPDATE} AND token_hash = %s", _stamp_params(now, token_hash))
    if token is None or not token_usable(token, now):
        return None
    return token


# The API's rate limit, its idempotency store and ninja's auth all ask who sent a request:
# one lookup, remembered for as long as the request lives.
_tokens: WeakKeyDictionary[HttpRequest, ApiToken | None] = WeakKeyDictionary()


def request_token(request: HttpRequest) -> ApiToken | None:
    """The usable token behind the request's `Authorization: Bearer …`, its account loaded; or None."""
    if request in _tokens:
        return _tokens[request]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    token = token_authenticate(value.strip()) if scheme.lower() == "bearer" and value else None
    _tokens[request] = token
    return token


def request_account(request: HttpRequest) -> Account | None:
    """The account behind the request's bearer token, or None."""
    token = request_token(request)
    return token.account if token is not None else None


def token_usable(token: ApiToken, now: datetime) -> bool:
    """The rule: a token works while it is not revoked, not expired and its account is active.

    `_USABLE_SQL` below is the same rule in SQL, for the last-use stamp that runs inside the
    token's lookup on the hot path; accounts/tests/test_token_rule.py checks the two row for row.
    """
    return token.revoked_at is None and token.expires_at > now and token.account.is_active


# `token_usable` in SQL (one %s: now).
_USABLE_SQL: Final = (
    "revoked_at IS NULL AND expires_at > %s AND account_id IN (SELECT id FROM accounts_account WHERE is_active)"
)
# Coarse last-use stamp: written only when stale, and only for a usable token, so concurrent
# requests of one token do not all write it.
_STAMP_UPDATE: Final = (
    "UPDATE accounts_apitoken SET last_used_at = %s WHERE (last_used_at IS NULL OR last_used_at < %s)"  # noqa: S608 -- fixed SQL text
    " AND " + _USABLE_SQL
)
_STAMP_WITH: Final[LiteralString] = f"WITH stamp AS ({_STAMP_UPDATE} AND token_hash = %s)"


def _stamp_params(now: datetime, token_hash: str) -> list[Any]:
    at = rowsql.param(ApiToken, "last_used_at", now)
    return [at, rowsql.param(ApiToken, "last_used_at", now - LAST_USE_RESOLUTION), at, token_hash]


def token_revoke(*, token: ApiToken, actor: object) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(actor=actor, action="token.revoke", obj=token)


def token_expires_at(token: ApiToken) -> datetime:
    return token.expires_at
