"""Health pass endpoints: verify (checkpoints, officials), public keys, and the holder's QR image."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from khaibao.api.auth import AuthedRequest
from khaibao.api.idempotency import idempotency_afresh
from khaibao.api.schemas import ErrorOut, StrictSchema
from khaibao.core.http import client_ip
from khaibao.passes import selectors, services
from khaibao.passes.decision import DECISIONS, pass_decision, pass_instructions
from khaibao.passes.labels import reason_message
from khaibao.passes.qr import pass_qr_response
from khaibao.passes.signing import MAX_TOKEN_LENGTH
from khaibao.passes.verify import pass_verify
from khaibao.people.access import access_person_for_declarer

router = Router(tags=["passes"])
# Mounted under /people: the QR image belongs to a person the caller declares for.
people_router = Router(tags=["passes"])


class VerifyIn(StrictSchema):
    token: str = Field(
        ..., min_length=1, max_length=MAX_TOKEN_LENGTH,
        description="the scanned QR token, or the 10-character short code typed by hand (e.g. 7K2QM-XD94P)",
    )


class InstructionsOut(Schema):
    vi: str
    en: str


class VerifyOut(Schema):
    decision: str = Field(
        ..., description="what the checkpoint does: " + " | ".join(f'"{d}"' for d in DECISIONS)
        + " (refuse: the pass is not valid)",
    )
    headline: str = Field(..., description="the decision in a few words, in the request's language")
    instruction: str = Field(..., description="what to do and say, in the request's language")
    instructions: InstructionsOut = Field(..., description="the instruction in Vietnamese and in English")
    valid: bool
    colour: str | None
    colour_label: str | None = Field(..., description="the colour in words, in the request's language; null with `colour`")
    initials: str | None
    expires_at: datetime | None
    reason: str | None = Field(
        None, description='"expired" | "bad_signature" | "malformed" | "unknown_code" when not valid'
    )
    reason_message: str | None = Field(
        None, description="why the pass is not valid and what to do, in the request's language; null with `reason`"
    )


class PublicKeyOut(Schema):
    kid: str
    alg: str
    current: bool
    public_key: str = Field(..., description="base64 of the 32 raw Ed25519 public key bytes")
    pem: str


class KeysOut(Schema):
    keys: list[PublicKeyOut]


@router.post("/verify", response={200: VerifyOut, 403: ErrorOut, 400: ErrorOut})
def verify(request: AuthedRequest, data: VerifyIn) -> VerifyOut:
    """Check a scanned pass and say what to do: the decision first, then valid, colour, initials,
    expiry. Never returns health details."""
    # A retried scan gets the verdict of now (an expired pass, the checkpoint's own access), never a
    # stored one: an Idempotency-Key only refuses another body under it.
    idempotency_afresh(request)
    result = pass_verify(actor=request.auth, token=data.token, ip=client_ip(request))
    decision = pass_decision(result)
    return VerifyOut(
        decision=decision.code,
        headline=decision.headline,
        instruction=decision.instruction,
        instructions=InstructionsOut(**pass_instructions(result)),
        valid=result.valid,
        colour=result.colour,
        colour_label=result.colour_label if result.colour else None,
        initials=result.initials,
        expires_at=result.expires_at,
        reason=result.reason,
        reason_message=reason_message(result.reason) if result.reason else None,
    )


@router.get("/keys", auth=None, response=KeysOut)
def keys(request: HttpRequest) -> KeysOut:
    """The public keys passes are signed with, for checkpoints that verify offline."""
    return KeysOut(
        keys=[
            PublicKeyOut(kid=info.kid, alg="Ed25519", current=info.current, public_key=info.raw_b64, pem=info.pem)
            for info in selectors.pass_public_keys()
        ]
    )


@people_router.get(
    "/{person_id}/pass.svg",
    response={200: None, 404: ErrorOut},
    openapi_extra={"responses": {200: {"description": "The QR code", "content": {"image/svg+xml": {}}}}},
)
def pass_svg(request: AuthedRequest, person_id: int) -> HttpResponse:
    """The person's current pass as a QR code (image/svg+xml)."""
    person = access_person_for_declarer(request.auth, person_id)
    return pass_qr_response(services.pass_issue(person=person).token)
