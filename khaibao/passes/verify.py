"""Checking a shown QR health pass: the scanned token (signature, shape, expiry) or the typed
short code (answered from the holder's status now), and the audited verification by checkpoint
staff and health officials. Issuing passes and codes, and the colour rule, are passes/services.py's.

A check learns only what the pass says — a pseudonymous id, initials, a colour, an expiry — never a
health detail (issue 3 §6, DESIGN.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.models import Role
from khaibao.audit.services import audit_record
from khaibao.core.errors import RateLimited, ServiceError
from khaibao.passes import labels
from khaibao.passes.models import PassCode
from khaibao.passes.services import (
    CODE_ALPHABET,
    CODE_LENGTH,
    COLOURS,
    pass_colour,
    pass_expiry,
    pass_initials,
    pass_subject,
    person_status_or_none,
)
from khaibao.passes.signing import TOKEN_VERSION, TokenError, token_open

REASONS = ("expired", "bad_signature", "malformed", "unknown_code")
CODE_CHECKS_PER_HOUR = 300
VERIFIER_ROLES = frozenset({Role.CHECKPOINT, Role.OFFICIAL})


@dataclass(frozen=True)
class PassCheck:
    """The outcome of verifying a token. `subject` is the pseudonymous id (for the audit only)."""

    valid: bool
    colour: str | None = None
    initials: str | None = None
    expires_at: datetime | None = None
    reason: str | None = None
    subject: str | None = None
    kid: str | None = None

    @property
    def colour_label(self) -> str:
        return labels.colour_label(self.colour)


def normalise_code(raw: str) -> str | None:
    """The code as stored, or None when `raw` cannot be a short code (then it is a token)."""
    cleaned = raw.strip().upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def pass_code_check(code: str, *, now: datetime | None = None) -> PassCheck:
    """Answer a typed short code from the holder's status now: valid, colour, initials, expiry.

    Valid only until the latest pass shown with the code ends (its stamp, `pass_exp`), with that
    pass's expiry (clipped by `pass_expiry` for green, as the token is): the card's "valid until"."""
    now = now or timezone.now()
    row = PassCode.objects.select_related("person__status").filter(code=code, expires_at__gt=now).first()
    if row is None:
        return PassCheck(valid=False, reason="unknown_code")
    person = row.person
    # A code made before stamps (passes migration 0004) answers as it did, until its row expires.
    pass_until = datetime.fromtimestamp(row.pass_exp, tz=UTC) if row.pass_exp else row.expires_at
    if now >= pass_until:
        # The pass shown with the code has ended: the same answer as its QR (`pass_check`).
        return PassCheck(
            valid=False, reason="expired", expires_at=pass_until, subject=pass_subject(person.pk), kid="code",
        )
    status = person_status_or_none(person)
    colour = pass_colour(status, now=now)
    expires_at = pass_expiry(colour, status, expires=pass_until)
    return PassCheck(
        valid=True, colour=colour, initials=pass_initials(person), expires_at=expires_at,
        subject=pass_subject(person.pk), kid="code",
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def pass_check(token: str, *, now: datetime | None = None) -> PassCheck:
    """Verify a token's signature, shape and expiry; pure apart from reading the keys."""
    now = now or timezone.now()
    try:
        payload = token_open(token.strip())
    except TokenError as exc:
        return PassCheck(valid=False, reason=exc.code)
    if (
        payload.get("v") != TOKEN_VERSION
        or not isinstance(payload.get("sub"), str)
        or not isinstance(payload.get("ini"), str)
        or payload.get("col") not in COLOURS
        or not _is_int(payload.get("iat"))
        or not _is_int(payload.get("exp"))
    ):
        return PassCheck(valid=False, reason="malformed", kid=payload["kid"])
    expires_at = datetime.fromtimestamp(payload["exp"], tz=UTC)
    if now >= expires_at:
        return PassCheck(
            valid=False, reason="expired", expires_at=expires_at, subject=payload["sub"], kid=payload["kid"]
        )
    return PassCheck(
        valid=True,
        colour=payload["col"],
        initials=payload["ini"],
        expires_at=expires_at,
        subject=payload["sub"],
        kid=payload["kid"],
    )


def can_verify_passes(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and getattr(actor, "role", None) in VERIFIER_ROLES


@transaction.atomic
def pass_verify(*, actor: Any, token: str, ip: str = "", now: datetime | None = None) -> PassCheck:
    """Verify a pass shown at a checkpoint — the scanned token or the typed short code — and
    audit the verification, valid or not.

    Only checkpoint staff and health officials may verify. The audit event names the actor and
    the pseudonymous id — no initials, no colour, nothing personal. Typed codes are also rate
    limited per verifier, so a device cannot be used to sweep the code space.
    """
    if not can_verify_passes(actor):
        raise ServiceError(
            _("Only checkpoint staff and health officials can verify health passes."), code="forbidden", status=403
        )
    code = normalise_code(token)
    if code is not None:
        if ratelimit.hit(f"pass-code:{actor.pk}", window_seconds=3600) > CODE_CHECKS_PER_HOUR:
            raise RateLimited(_("Too many typed codes from this account. Scan the QR code instead."))
        result = pass_code_check(code, now=now)
    else:
        result = pass_check(token, now=now)
    audit_record(
        actor=actor,
        action="pass.verify",
        ip=ip,
        reason="checkpoint",
        data={"valid": result.valid, "reason": result.reason, "subject": result.subject, "kid": result.kid},
    )
    return result
