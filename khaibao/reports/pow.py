"""Proof of work for anonymous reports: ALTCHA challenges (the `altcha` library, v1 format),
self-hosted — no third-party service sees the reporter.

The client gets a signed challenge (GET /api/v1/reports/challenge or the form page), searches
the number whose SHA-256 with the salt gives the challenge, and sends the ALTCHA payload
(base64 JSON: algorithm, challenge, number, salt, signature) with the report. A solved
challenge pays for one report: the SHA-256 of its signature is stored on that report.
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


def solution_key(payload: str) -> str | None:
    """The key a valid, unexpired solution is spent under, or None for anything else.

    Checking spends nothing: the key is stored on the report it pays for (`Report.pow_hash`,
    unique), in the report's own transaction — so a report refused for a photo, the rate limit
    or a database failure leaves the solution unspent for the retry, and a solution sent twice
    at once still pays for one report only.
    """
    if not payload or len(payload) > 2000:
        return None
    try:
        ok, _error = verify_solution_v1(payload, _hmac_key(), check_expires=True)
    except Exception:
        return None
    if not ok:
        return None
    # Keyed on the signature, not the payload text: a re-encoded payload is the same solution.
    signature = str(json.loads(base64.b64decode(payload))["signature"])
    return hashlib.sha256(signature.encode()).hexdigest()
