from __future__ import annotations

import json
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from khaibao.accounts import otp
from khaibao.accounts.access_tokens import IssuedTokens, session_end, session_refresh, session_start
from khaibao.accounts.phones import normalise_vn_phone
from khaibao.accounts.tokens import request_identity, token_revoke
from khaibao.api.auth import AuthedRequest
from khaibao.api.idempotency import idempotency_outside_transaction, idempotency_owned_by
from khaibao.api.schemas import ErrorOut, StrictSchema
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.signin.services import citizen_code_check, citizen_sign_in_checked

router = Router(tags=["auth"])


class OtpRequestIn(StrictSchema):
    phone: str


class OtpRequestOut(StrictSchema):
    detail: str
    expires_in: int


class OtpVerifyIn(StrictSchema):
    phone: str
    code: str


class TokenOut(StrictSchema):
    """A signed-in app's tokens (docs/api.md, "Tokens"). `token` and `expires_at` repeat the access
    token and its expiry for apps written before the pair existed."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    token_type: str = "Bearer"  # noqa: S105 -- the scheme's name, not a secret
    token: str
    expires_at: datetime


class RefreshIn(StrictSchema):
    refresh_token: str


def _tokens_out(issued: IssuedTokens) -> TokenOut:
    return TokenOut(
        access_token=issued.access_token, access_expires_at=issued.access_expires_at,
        refresh_token=issued.refresh_token, refresh_expires_at=issued.refresh_expires_at,
        token=issued.access_token, expires_at=issued.access_expires_at,
    )


def _phone(raw: str) -> str:
    try:
        return normalise_vn_phone(raw)
    except DjangoValidationError as exc:
        raise ServiceError(exc.messages[0], code="invalid_phone", fields={"phone": exc.messages[0]}) from exc


def _body_field(request: HttpRequest, name: str) -> str | None:
    # Read the way ninja reads the view's body (JSON); anything else the view refuses (400).
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    value = data.get(name) if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) and 0 < len(value.strip()) <= 200 else None


def _phone_credential(request: HttpRequest) -> str | None:
    raw = _body_field(request, "phone")
    try:
        return normalise_vn_phone(raw) if raw else None
    except DjangoValidationError:
        return None


# These calls carry no token: their Idempotency-Key is kept under what they carry instead (the
# phone, the refresh token), not under the client's address, so that a retry from another network
# (the answer lost while the phone moved from Wi-Fi to 4G) is recognised — a refresh run again
# with its spent token would end the session as a copied token — and only whoever holds that
# phone's code or that refresh token replays the answer (api/idempotency.py, `_owner`).
idempotency_owned_by("POST", r"/api/v1/auth/otp/request", name="phone", credential=_phone_credential)
# A phone is public, the code is the secret: another code under the key is a guess (one per key).
idempotency_owned_by("POST", r"/api/v1/auth/otp/verify", name="phone", credential=_phone_credential, body_secret=True)
idempotency_owned_by(
    "POST", r"/api/v1/auth/refresh", name="refresh", credential=lambda request: _body_field(request, "refresh_token")
)
# The code's SMS goes out after its code commits, not inside the key's transaction (accounts/otp.py).
idempotency_outside_transaction("POST", r"/api/v1/auth/otp/request")


@router.post("/otp/request", auth=None, response={202: OtpRequestOut, 400: ErrorOut, 429: ErrorOut, 503: ErrorOut})
def otp_request(request: HttpRequest, data: OtpRequestIn) -> Status[OtpRequestOut]:
    """Send a 6-digit sign-in code by SMS. The answer is the same for known and unknown phones;
    429 `rate_limited` (with Retry-After) within OTP_COOLDOWN_SECONDS of the phone's last code,
    past its OTP_PHONE_LIMIT_PER_HOUR codes within the hour or past the address's hourly limit;
    503 `sms_not_sent` (with Retry-After) when the SMS gateway did not take it after a few tries."""
    otp.otp_request(phone=_phone(data.phone), ip=client_ip(request))
    return Status(
        202,
        OtpRequestOut(
            detail=_("If the number can receive SMS, a code is on its way."),
            expires_in=settings.OTP_CODE_TTL_SECONDS,
        ),
    )


@router.post("/otp/verify", auth=None, response={200: TokenOut, 400: ErrorOut, 429: ErrorOut})
def otp_verify(request: HttpRequest, data: OtpVerifyIn) -> TokenOut:
    """Exchange a valid code for an access token (15 minutes) and a refresh token (the citizen
    account is created on first sign-in)."""
    phone, ip = _phone(data.phone), client_ip(request)
    challenge = citizen_code_check(phone=phone, code=data.code.strip(), ip=ip)
    # The code is used up together with the session it opens: a failure in between (503) leaves
    # the code for the retry instead of spending it on nothing.
    with transaction.atomic():
        account = citizen_sign_in_checked(phone=phone, challenge=challenge, ip=ip)
        issued = session_start(account=account, label="otp")
    return _tokens_out(issued)


@router.post("/refresh", auth=None, response={200: TokenOut, 400: ErrorOut, 401: ErrorOut})
def refresh(request: HttpRequest, data: RefreshIn) -> TokenOut:
    """A new access token and a new refresh token; the refresh token sent stops working. 401
    `invalid_refresh_token`: sign in again (signed out, expired, or the account closed)."""
    return _tokens_out(session_refresh(refresh_token=data.refresh_token.strip()))


@router.post("/logout", response={204: None})
def logout(request: AuthedRequest) -> Status[None]:
    """Sign out: revoke the token used for this request — with an access token, its session
    (refresh token included), at once on every server."""
    identity = request_identity(request)
    if identity.claims is not None:
        session_end(session_id=identity.claims.session_id, actor=request.auth)
    elif identity.token is not None:  # an opaque token from before the pair
        token_revoke(token=identity.token, actor=request.auth)
    return Status(204, None)
