from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from khaibao.accounts import otp
from khaibao.accounts.phones import normalise_vn_phone
from khaibao.accounts.tokens import request_token, token_issue, token_revoke
from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut, StrictSchema
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.signin.services import citizen_sign_in_with_code

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
    token: str
    expires_at: datetime


def _phone(raw: str) -> str:
    try:
        return normalise_vn_phone(raw)
    except DjangoValidationError as exc:
        raise ServiceError(exc.messages[0], code="invalid_phone", fields={"phone": exc.messages[0]}) from exc


@router.post("/otp/request", auth=None, response={202: OtpRequestOut, 400: ErrorOut, 429: ErrorOut})
def otp_request(request: HttpRequest, data: OtpRequestIn) -> Status[OtpRequestOut]:
    """Send a 6-digit sign-in code by SMS. The answer is the same for known and unknown phones."""
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
    """Exchange a valid code for a bearer token (the citizen account is created on first sign-in)."""
    account = citizen_sign_in_with_code(phone=_phone(data.phone), code=data.code.strip(), ip=client_ip(request))
    value, token = token_issue(account=account, label="otp")
    return TokenOut(token=value, expires_at=token.expires_at)


@router.post("/logout", response={204: None})
def logout(request: AuthedRequest) -> Status[None]:
    """Revoke the token used for this request."""
    token = request_token(request)
    if token is not None:  # ninja authenticated this request with it
        token_revoke(token=token, actor=request.auth)
    return Status(204, None)
