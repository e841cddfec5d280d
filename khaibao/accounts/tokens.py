"""API bearer tokens: who sent a request.

Two kinds are accepted: the opaque tokens issued before decision 0008 (random, shown once, stored
as SHA-256, with expiry and revocation; checked against the database on every request) until
they expire, and the signed access tokens of `access_tokens.py` (checked without the database).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, LiteralString
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from khaibao.accounts import ratelimit
from khaibao.accounts.access_tokens import (
    AccessClaims,
    access_token_verify,
    denied,
    is_access_token,
    session_live,
)
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


@dataclass(frozen=True)
class Identity:
    """Who sent a request: an opaque token (`token`, its account loaded) or a signed access
    token (`claims`), and the account either stands for; all None when neither is valid."""

    account: Account | None = None
    token: ApiToken | None = None
    claims: AccessClaims | None = None


_NOBODY = Identity()
# The API's rate limit, its idempotency store and ninja's auth all ask who sent a request:
# one answer, remembered for as long as the request lives.
_identities: WeakKeyDictionary[HttpRequest, Identity] = WeakKeyDictionary()


def request_bearer(request: HttpRequest) -> str:
    """The value of the request's `Authorization: Bearer …`, or ""."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def access_identity(claims: AccessClaims | None) -> Identity:
    """Who a signed access token that passed the deny-list stands for. While this process has seen
    Redis fail (and DENY_LIST_GRACE_SECONDS after), the deny-list it read may lack a sign-out
    made meanwhile on another server, or kept only in this one's fallback store; and a read
    without the deny-list's marker (Redis restarted empty, no rewrite yet) may lack any: the
    session is then checked in the database (one query; none otherwise). Both the API's rate limiter
    (`remember_access`) and `request_identity` — so the hot lane too — come through here."""
    if claims is None or (ratelimit.deny_list_unsure(claims.deny_keys()) and not session_live(claims)):
        return _NOBODY
    return Identity(account=claims.account(), claims=claims)


def remember_access(request: HttpRequest, claims: AccessClaims | None) -> None:
    """Record who a signed access token stands for, once its deny-list entries were read (the API's
    rate limiter reads them with its counters): `claims`, or None when denied."""
    _identities[request] = access_identity(claims)


def request_identity(request: HttpRequest) -> Identity:
    """Who sent the request (see `Identity`); looked up once per request."""
    if request in _identities:
        return _identities[request]
    value = request_bearer(request)
    if not value:
        identity = _NOBODY
    elif is_access_token(value):
        claims = access_token_verify(value)
        identity = access_identity(claims if claims is not None and not denied(claims) else None)
    else:
        token = token_authenticate(value)
        identity = Identity(account=token.account, token=token) if token is not None else _NOBODY
    _identities[request] = identity
    return identity


def request_token(request: HttpRequest) -> ApiToken | None:
    """The usable opaque token behind the request's bearer value, its account loaded; or None."""
    return request_identity(request).token


def request_account(request: HttpRequest) -> Account | None:
    """The account behind the request's bearer token (opaque or signed), or None."""
    return request_identity(request).account


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
