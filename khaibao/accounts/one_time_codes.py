"""One-time codes, checked one way everywhere: sign-in (accounts/otp.py), a volunteer's consent
code (people/volunteers.py) and the confirmation of an erasure (privacy/services.py).

Sending is limited too (`code_send_check`): one code per scope per OTP_COOLDOWN_SECONDS and a
cap per hour, since every code is an SMS to someone and `max_attempts` fresh guesses.

A code is 6 digits, stored only as a keyed hash of (key, code) under a purpose of its own (a
consent code can never sign anyone in, nor a sign-in code confirm an erasure), valid until its
`expires_at`, used at most once, and guessed at most `max_attempts` times. Each guess is counted
with a conditional UPDATE before the comparison, so concurrent guesses can never together exceed
the limit; the comparison is in constant time; the code is consumed with another conditional
UPDATE, so two right answers at once cannot both win. The models share `models.OneTimeCode`.

The guess and the use are two steps for a code that confirms an action (an erasure, a sign-in):
`code_redeem(..., consume=False)` counts the guess and commits it on its own (a wrong guess is
never handed back by a rollback), and `code_consume` uses the code up inside the action's own
transaction, so both commit or neither does: a database failure in the action (503) leaves the
code usable for the retry instead of spending it on nothing.
"""

from __future__ import annotations

import hmac
import math
import secrets
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from khaibao.accounts import ratelimit
from khaibao.accounts.models import OneTimeCode
from khaibao.core import crypto
from khaibao.core.errors import RateLimited, ServiceError

C = TypeVar("C", bound=OneTimeCode)

DIGITS = 6


def code_hash(*, key: str, purpose: str, code: str) -> str:
    """The keyed hash stored for `code` issued under `key` for `purpose`."""
    return crypto.blind_index(f"{key}:{code}", purpose=purpose)


def code_clean(code: str | None) -> str:
    """`code` without surrounding spaces, or a field error when it is not 6 digits."""
    code = (code or "").strip()
    if not (len(code) == DIGITS and code.isdigit()):
        message = _("The code has 6 digits.")
        raise ServiceError(message, code="invalid_code", fields={"code": message})
    return code


def code_refused() -> ServiceError:
    """The one answer for a wrong, expired, used or over-guessed code: they must not differ."""
    return ServiceError(
        _("The code is wrong or has expired. Ask for a new code."),
        code="invalid_code",
        fields={"code": _("The code is wrong or has expired.")},
    )


def code_used_up() -> ServiceError:
    """The answer once a code has had its `max_attempts` guesses, whatever is typed next — the
    right code included. It says nothing about the guess, so it gives nothing away; it tells the
    person that only a new code will do (issue 17: "the code is wrong" sent them retyping it)."""
    message = _("This code was tried too many times and can no longer be used. Ask for a new code.")
    return ServiceError(message, code="code_used_up", fields={"code": message})


def code_send_check(
    model: type[C], *, scope: dict[str, Any], limit_key: str, per_hour: int, now: datetime | None = None,
    cap_message: str | None = None, cap_retry_after: int = 3600, scope_per_hour: int | None = None,
) -> None:
    """Refuse a new code for `scope` (RateLimited, 429 with the seconds to wait) once
    `scope_per_hour` codes (if given) went to the scope within the hour, while the scope's
    newest code is younger than OTP_COOLDOWN_SECONDS, or once `per_hour` codes went out within
    the hour under `limit_key`. The cap also bounds the guesses: at most `per_hour` codes of
    `max_attempts` guesses each per hour and `limit_key`.

    `scope_per_hour` is checked first, so that its refusal spends none of `limit_key`'s budget:
    counted from the scope's stored codes (kept at least an hour: RETENTION_SHORT_LIVED_HOURS ≥ 1;
    a code the gateway never took is withdrawn and does not count), so the window slides and
    Retry-After is exact — until the oldest code counted is an hour old.

    `scope` filters the codes that hold the next one back (an erasure's adds
    `consumed_at__isnull=True`: a code already used does not). Past the cap the answer is "too
    many code requests", retry in an hour — or `cap_message` after `cap_retry_after` seconds, for a
    cap that is not the asker's own (sign-in's, on every code the service sends).

    Call it in the caller's transaction right before `code_issue`, with whatever owns the scope
    locked, so that two requests at once cannot both pass the cooldown.
    """
    now = now or timezone.now()
    if scope_per_hour is not None:
        _scope_hourly_cap(model, scope=scope, limit=scope_per_hour, now=now)
    cooldown = settings.OTP_COOLDOWN_SECONDS
    recent = (
        model._default_manager.filter(**scope, created_at__gt=now - timedelta(seconds=cooldown))
        .order_by("-created_at")
        .first()
    )
    if recent is not None:
        wait = max(cooldown - int((now - recent.created_at).total_seconds()), 1)
        raise RateLimited(
            _("A code was just sent. Please wait %(seconds)s seconds before asking again.") % {"seconds": wait},
            retry_after=wait,
        )
    # Counted only for codes about to be sent, so cooldown refusals do not spend it.
    if ratelimit.hit(limit_key, window_seconds=3600) > per_hour:
        raise RateLimited(cap_message or _("Too many code requests. Try again later."), retry_after=cap_retry_after)


def _scope_hourly_cap(model: type[C], *, scope: dict[str, Any], limit: int, now: datetime) -> None:
    counted = list(
        model._default_manager.filter(**scope, created_at__gt=now - timedelta(hours=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[limit - 1 : limit]
    )
    if not counted:
        return
    wait = max(math.ceil((counted[0] + timedelta(hours=1) - now).total_seconds()), 1)
    minutes = math.ceil(wait / 60)
    raise RateLimited(
        ngettext(
            "This number was sent too many codes in the last hour. Try again in %(minutes)s minute.",
            "This number was sent too many codes in the last hour. Try again in %(minutes)s minutes.",
            minutes,
        ) % {"minutes": minutes},
        retry_after=wait,
    )


def code_issue(
    model: type[C], *, scope: dict[str, Any], key: str, purpose: str, ttl: timedelta,
    now: datetime | None = None, **fields: Any,
) -> tuple[C, str]:
    """A new code for `scope` (the model's fields naming whose code it is); the scope's older
    unused codes stop working, so only the newest counts. Returns the row and the clear code,
    which the caller sends and never stores. Call it inside the caller's transaction."""
    now = now or timezone.now()
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    model._default_manager.filter(consumed_at__isnull=True, **scope).update(consumed_at=now)
    challenge = model._default_manager.create(
        **scope, **fields, code_hash=code_hash(key=key, purpose=purpose, code=code),
        created_at=now, expires_at=now + ttl,
    )
    return challenge, code


def codes_live(candidates: QuerySet[C], *, now: datetime | None = None) -> QuerySet[C]:
    """The codes among `candidates` that may still be used: not used yet, not expired."""
    return candidates.filter(consumed_at__isnull=True, expires_at__gt=now or timezone.now())


def code_redeem(
    candidates: QuerySet[C], *, key: str, purpose: str, code: str, max_attempts: int, now: datetime | None = None,
    consume: bool = True,
) -> C | None:
    """The newest live code among `candidates` if `code` matches it, now consumed; else None.
    Raises `code_used_up()` when that code has already had its `max_attempts` guesses (nothing is
    counted then, so the exception rolls nothing back).

    The guess is counted even when it is wrong: call this where no exception can roll the count
    back (outside the caller's transaction, or inside one that raises only after it commits).

    With `consume=False` the right code is returned still unused: the caller uses it up with
    `code_consume` in the transaction of the action it confirms (both or neither).
    """
    now = now or timezone.now()
    model = candidates.model
    with transaction.atomic():
        challenge = codes_live(candidates, now=now).order_by("-created_at").first()
        if challenge is None:
            return None
        claimed = model._default_manager.filter(
            pk=challenge.pk, consumed_at__isnull=True, attempts__lt=max_attempts
        ).update(attempts=F("attempts") + 1)
        if not claimed:
            if model._default_manager.filter(pk=challenge.pk, consumed_at__isnull=True).exists():
                raise code_used_up()
            return None
        if not hmac.compare_digest(challenge.code_hash, code_hash(key=key, purpose=purpose, code=code)):
            return None
        if not consume:
            return challenge
        if code_consume(challenge, now=now):
            return challenge
    return None


def code_consume(challenge: OneTimeCode, *, now: datetime | None = None) -> bool:
    """Use up `challenge` (a right code from `code_redeem(..., consume=False)`); False when it was
    used meanwhile (a concurrent right answer won, or a newer code retired it). Call it inside the
    transaction of the action the code confirms, first, and refuse the action on False: a rollback
    of the action gives the code back, a commit spends it with the action."""
    now = now or timezone.now()
    used = type(challenge)._default_manager.filter(pk=challenge.pk, consumed_at__isnull=True).update(consumed_at=now)
    if used:
        challenge.consumed_at = now
    return bool(used)
