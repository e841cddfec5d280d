"""The webhook's signature: HMAC-SHA256 with SMS_INBOUND_SECRET over "<timestamp>.<raw body>".

The timestamp is inside the signed text, so a captured request cannot be replayed later with
a fresh timestamp; requests older (or newer) than SMS_INBOUND_MAX_SKEW_SECONDS are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
_PREFIX = "sha256="


def sign(body: bytes, timestamp: int, secret: str) -> str:
    """The `X-Signature` value for `body` sent at `timestamp` (Unix seconds)."""
    message = str(timestamp).encode() + b"." + body
    return _PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def check(body: bytes, *, signature: str, timestamp: str, now: float | None = None) -> str:
    """"" when the signature is good, else why not: "missing", "stale" or "bad"."""
    if not signature or not timestamp:
        return "missing"
    try:
        sent = int(timestamp.strip())
    except ValueError:
        return "bad"
    if abs((now if now is not None else time.time()) - sent) > settings.SMS_INBOUND_MAX_SKEW_SECONDS:
        return "stale"
    expected = sign(body, sent, settings.SMS_INBOUND_SECRET)
    # Constant time: the comparison must not tell an attacker how many characters were right.
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        return "bad"
    return ""
