"""Signed, short-lived access tokens and the refresh tokens behind them (decision 0008, option B).

An app signs in once (a sign-in code) and gets a pair (docs/api.md, "Tokens"):

* an **access token**, `kba.<account>.<role>.<session>.<expiry>.<key id>.<HMAC>`, valid
  API_ACCESS_TOKEN_SECONDS (15 minutes). It is checked without the database: the signature with
  the key it names (API_ACCESS_TOKEN_KEYS: the first signs, all verify, so a key is retired by
  moving it behind a new one for one lifetime — as PASS_VERIFY_KEYS does for passes), the expiry,
  and the **deny-list**: a session signed out, or an account closed, is written to the shared
  cache for one access-token lifetime, and the API's rate limiter reads it in the same Redis round
  trip as its counters (api/middleware.py). So revocation is immediate on every app server.
  Redis may be down when a session ends: the entry then waits in this process
  (`ratelimit.flag`) and is written to Redis as soon as it answers, the minute task
  `deny_list_rewrite` writes every recent revocation again from the database, and while a process
  has seen Redis fail (and two minutes after) it checks access tokens against the database
  instead (`session_live`, called by tokens.py `access_identity`). A Redis that restarted empty
  (nothing fails: redis-py reconnects) lacks the marker the task writes with the entries
  (`ratelimit.DENY_LIST_MARKER`, read in the same round trip): every server then checks access
  tokens against the database until the next run. A closed account's sessions are revoked, not
  deleted, so the task and the database check cover them too.
* a **refresh token**, opaque, stored as SHA-256 in `ApiSession`, valid API_REFRESH_TOKEN_DAYS.
  Every refresh checks it against the database (session not revoked nor expired, account
  active), replaces it, and signs a new access token; a refresh token used a second time, after
  its replacement, ends the session (it was copied).

The opaque bearer tokens of `tokens.py` keep working until they expire (apps signed in before).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import router, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.models import Account, ApiSession, Role
from khaibao.audit.services import audit_record
from khaibao.core import crypto
from khaibao.core.errors import ServiceError

logger = logging.getLogger(__name__)

ACCESS_PREFIX = "kba."
REFRESH_PREFIX = "kbr_"
# A refresh token presented again this soon after it was replaced is a race between two requests
# of the same app (both refreshing at once), not a copy: refused, the session kept.
REFRESH_RACE_SECONDS = 30


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says: whose, which session, until when."""

    account_id: int
    role: str
    session_id: int
    expires: int

    def deny_keys(self) -> list[str]:
        """The deny-list entries that end this token before its expiry (rate-limit store keys),
        and the marker that says the deny-list is whole (it reads as 0: `ratelimit.hits_and_counts`)."""
        return [f"deny-session:{self.session_id}", f"deny-account:{self.account_id}", ratelimit.DENY_LIST_MARKER]

    def account(self) -> Account:
        """The account as the token states it: id, role and active, without a database read.

        The other fields are deferred: reading one loads it (one query), as for any deferred
        field. Active: a closed account is on the deny-list (or its revoked sessions fail
        `session_live` when the deny-list is unsure), checked before this is used. A
        citizen's username is known too: sign-in makes citizen accounts without one, and the audit
        trail then names the account by its id (audit/services.py `_actor_label`) — with no read.
        """
        alias = router.db_for_read(Account)
        if self.role == Role.CITIZEN:
            return Account.from_db(
                alias, ["id", "username", "role", "is_active"], [self.account_id, None, self.role, True]
            )
        return Account.from_db(alias, ["id", "role", "is_active"], [self.account_id, self.role, True])


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    session: ApiSession


@cache
def _keys(configured: tuple[str, ...], secret: str) -> tuple[tuple[str, bytes], ...]:
    """(key id, key) for each configured key; without any, one derived from SECRET_KEY."""
    raw = [k.encode() for k in configured] or [hmac.new(secret.encode(), b"khaibao-api-access-token", "sha256").digest()]
    return tuple((hashlib.sha256(k).hexdigest()[:8], k) for k in raw)


def _signing_keys() -> tuple[tuple[str, bytes], ...]:
    return _keys(tuple(settings.API_ACCESS_TOKEN_KEYS), settings.SECRET_KEY)


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), "sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def access_token_sign(*, account_id: int, role: str, session_id: int, expires: int) -> str:
    """A signed access token with the current (first) key."""
    kid, key = _signing_keys()[0]
    body = f"{ACCESS_PREFIX}{account_id}.{role}.{session_id}.{expires}.{kid}"
    return f"{body}.{_mac(key, body)}"


def is_access_token(value: str) -> bool:
    return value.startswith(ACCESS_PREFIX)


def access_token_verify(value: str, *, now: float | None = None) -> AccessClaims | None:
    """The claims of a well-signed, unexpired access token; None otherwise. No I/O: the deny-list
    is the caller's (`denied`), read with the rate limits in one round trip."""
    if not value.startswith(ACCESS_PREFIX) or len(value) > 200:
        return None
    body, _sep, mac = value.rpartition(".")
    parts = body[len(ACCESS_PREFIX):].split(".")
    if len(parts) != 5:
        return None
    account, role, session, expires, kid = parts
    key = dict(_signing_keys()).get(kid)
    if key is None or not hmac.compare_digest(mac, _mac(key, body)):
        return None
    try:
        claims = AccessClaims(int(account), role, int(session), int(expires))
    except ValueError:
        return None
    if claims.expires <= (timezone.now().timestamp() if now is None else now):
        return None
    return claims


def denied(claims: AccessClaims) -> bool:
    """Whether the token's session or account is on the deny-list (one cache round trip; the
    API's rate limiter reads the same entries with its counters instead)."""
    _hits, flags = ratelimit.hits_and_counts(peek=claims.deny_keys(), window_seconds=1)
    return any(flags)


def _deny_seconds() -> int:
    # One access-token lifetime (and a minute of clock skew): after that every token of the
    # session has expired on its own, and a refresh is refused by the database.
    return settings.API_ACCESS_TOKEN_SECONDS + 60


def _deny(key: str) -> None:
    if not ratelimit.flag(key, seconds=_deny_seconds()):
        # Redis did not take it: other app servers do not see it yet. They check tokens against
        # the database while they see Redis failing (`session_live`); the entry reaches Redis
        # when this process next does, and `deny_list_rewrite` writes it from the database
        # within a minute should this process die first.
        logger.warning("deny-list entry %s kept in this process only until Redis answers", key)


def session_live(claims: AccessClaims) -> bool:
    """Whether the token's session is still signed in, read from the database (one query): not
    revoked (a closed account's are revoked with it), not expired, its account active. Used
    instead of the deny-list only while that cannot be trusted (`ratelimit.deny_list_unsure`: an
    outage seen here, or a read without the marker): the normal path reads no row (decision 0008)."""
    return ApiSession.objects.filter(
        pk=claims.session_id, account_id=claims.account_id, revoked_at__isnull=True,
        expires_at__gt=timezone.now(), account__is_active=True,
    ).exists()


def deny_list_rewrite() -> int:
    """Write the deny entry of every session revoked within the deny-list's lifetime again, from
    the database: a sign-out during a Redis outage (or a Redis that restarted empty) is on the
    deny-list again within a run (every minute, settings.PERIODIC_TASKS), a closed account's
    sessions too (revoked with it: `account_sessions_delete`). Returns how many.

    With them, in the same Redis transaction, the marker (`ratelimit.DENY_LIST_MARKER`) that lets
    every server trust the deny-list without the database. Until a first run — a cold start
    before the worker, or a Redis that restarted empty — servers check each access token in the
    database (one query by primary key per request, a minute at most while the worker runs;
    `ratelimit` logs it once a minute per process): accepted, simpler than every web process
    running this same rewrite at once the moment Redis comes back.
    """
    since = timezone.now() - timedelta(seconds=_deny_seconds())
    # The partial index `api_session_revoked` (accounts 0009) reads only the revoked sessions.
    ids = list(ApiSession.objects.filter(revoked_at__gte=since).values_list("pk", flat=True))
    # One transaction, one round trip: the marker never stands in Redis without every entry.
    ratelimit.flags([f"deny-session:{pk}" for pk in ids], seconds=_deny_seconds(), marker=True)
    return len(ids)


def _refresh_value() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def _access_for(session: ApiSession, account: Account, now: datetime) -> tuple[str, datetime]:
    expires = int((now + timedelta(seconds=settings.API_ACCESS_TOKEN_SECONDS)).timestamp())
    token = access_token_sign(account_id=account.pk, role=account.role, session_id=session.pk, expires=expires)
    return token, datetime.fromtimestamp(expires, tz=timezone.get_current_timezone())


def session_start(*, account: Account, label: str = "", actor: object = None) -> IssuedTokens:
    """Sign `account` in for an app: a new session, its refresh token and a first access token."""
    now = timezone.now()
    refresh = _refresh_value()
    with transaction.atomic():
        session = ApiSession.objects.create(
            account=account, refresh_hash=crypto.secret_hash(refresh), label=label[:100], created_at=now,
            refreshed_at=now, expires_at=now + timedelta(days=settings.API_REFRESH_TOKEN_DAYS),
        )
        audit_record(actor=actor or account, action="session.start", obj=session, data={"label": label[:100]})
    access, access_expires = _access_for(session, account, now)
    return IssuedTokens(access, access_expires, refresh, session.expires_at, session)


def _refused() -> ServiceError:
    message = _("Sign in again: this refresh token is no longer valid.")
    return ServiceError(message, code="invalid_refresh_token", fields={"refresh_token": message}, status=401)


def session_refresh(*, refresh_token: str) -> IssuedTokens:
    """A new access token and a new refresh token for a valid refresh token (which stops working).

    Refused (401 `invalid_refresh_token`) when unknown, expired, revoked, or the account closed; a
    replaced refresh token presented again later than REFRESH_RACE_SECONDS ends its session.
    """
    if not refresh_token.startswith(REFRESH_PREFIX) or len(refresh_token) > 200:
        raise _refused()
    digest = crypto.secret_hash(refresh_token)
    now = timezone.now()
    with transaction.atomic():
        session = ApiSession.objects.select_for_update().select_related("account").filter(refresh_hash=digest).first()
        if session is None:
            replaced = ApiSession.objects.select_for_update().filter(previous_hash=digest, revoked_at__isnull=True).first()
            if replaced is not None and now - replaced.refreshed_at > timedelta(seconds=REFRESH_RACE_SECONDS):
                _revoke(replaced, actor=None, now=now, action="session.reuse")
        elif session.revoked_at is None and session.expires_at > now and session.account.is_active:
            refresh = _refresh_value()
            session.previous_hash = session.refresh_hash
            session.refresh_hash = crypto.secret_hash(refresh)
            session.refreshed_at = now
            session.save(update_fields=["previous_hash", "refresh_hash", "refreshed_at"])
            access, access_expires = _access_for(session, session.account, now)
            return IssuedTokens(access, access_expires, refresh, session.expires_at, session)
    # Refused after the transaction: the end of a session whose refresh token came back commits.
    raise _refused()


def _revoke(session: ApiSession, *, actor: object, now: datetime, action: str) -> None:
    updated = ApiSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(revoked_at=now)
    if updated:
        audit_record(actor=actor or session.account, action=action, obj=session)
    # After the commit: a deny entry for a revocation that rolled back would only sign out early,
    # but the order keeps the two stores telling the same story.
    transaction.on_commit(lambda: _deny(f"deny-session:{session.pk}"))


def session_end(*, session_id: int, actor: Account) -> None:
    """Sign out: the session's refresh token stops working and its access tokens at once."""
    with transaction.atomic():
        session = ApiSession.objects.filter(pk=session_id, account=actor).first()
        if session is not None:
            _revoke(session, actor=actor, now=timezone.now(), action="session.end")


def account_sessions_delete(*, account: Account) -> int:
    """A closed account's sessions end, and its access tokens stop at once through the deny-list;
    returns how many sessions there were.

    Revoked, not deleted: the revocation is what `deny_list_rewrite` writes again after Redis lost
    it (a restart) and what `session_live` refuses. The rows keep no label, only the account id,
    and retention's `closed_account_sessions` deletes them a day later (privacy/retention.py).
    """
    count = ApiSession.objects.filter(account=account).update(
        revoked_at=Coalesce("revoked_at", Value(timezone.now())), label="",
    )
    transaction.on_commit(lambda: _deny(f"deny-account:{account.pk}"))
    return count
