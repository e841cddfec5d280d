"""Proof of work for anonymous reports: ALTCHA challenges (the `altcha` library, v1 format),
self-hosted — no third-party service sees the reporter.

The client gets a signed challenge (GET /api/v1/reports/challenge or the form page), searches
the number whose SHA-256 with the salt gives the challenge, and sends the ALTCHA payload
(base64 JSON: algorithm, challenge, number, salt, signature) with the report. A solved
challenge is spent once: its signature is remembered in the cache until it expires.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

from altcha import ChallengeOptionsV1, create_challenge_v1, verify_solution_v1
from django.conf import settings
from django.utils import timezone

from khaibao.accounts import ratelimit

CHALLENGE_TTL_SECONDS = 600


def _hmac_key() -> str:
    return hashlib.sha256(b"khaibao-report-pow:" + settings.SECRET_KEY.encode()).hexdigest()


def challenge_create() -> dict[str, Any]:
    """A fresh signed challenge, valid for CHALLENGE_TTL_SECONDS."""
    challenge = create_challenge_v1(
        ChallengeOptionsV1(
            max_number=settings.REPORT_POW_MAX_NUMBER,
            hmac_key=_hmac_key(),
            expires=timezone.now() + timedelta(seconds=CHALLENGE_TTL_SECONDS),
        )
    )
    return challenge.to_dict()  # type: ignore[no-any-return]


def solution_accept(payload: str) -> bool:
    """True once for a valid, unexpired solution; False for anything else or a replay."""
    if not payload or len(payload) > 2000:
        return False
    try:
        ok, _error = verify_solution_v1(payload, _hmac_key(), check_expires=True)
    except Exception:
        return False
    if not ok:
        return False
    # Keyed on the signature, not the payload text: a re-encoded payload is the same solution.
    signature = str(json.loads(base64.b64decode(payload))["signature"])
    spent_key = "report-pow:" + hashlib.sha256(signature.encode()).hexdigest()
    # Through the limiter's store: a cache outage falls back to this process, never a 500.
    return ratelimit.remember_once(spent_key, seconds=CHALLENGE_TTL_SECONDS + 60)
