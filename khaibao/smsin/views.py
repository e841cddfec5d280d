"""POST /sms/inbound — the gateway's webhook for SMS sent to the service number (docs/sms.md).

A machine endpoint: no session, no CSRF token; the HMAC signature (signing.py) proves the
gateway sent it. Nothing is read or stored before the size and the signature are checked.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from khaibao.accounts.phones import normalise_vn_phone
from khaibao.core.http import client_ip, error_response
from khaibao.core.params import date_in_range, date_range_message
from khaibao.smsin import signing
from khaibao.smsin.services import sms_inbound_receive

MESSAGE_ID_MAX = 100
# A long SMS is at most a few concatenated parts; more than this is not a person typing.
TEXT_MAX = 1600


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    if not settings.SMS_INBOUND_SECRET:
        return error_response(503, "not_configured", _("Inbound SMS is not configured on this server."))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0 or length > settings.SMS_INBOUND_MAX_BODY_BYTES:
        return error_response(
            413, "body_too_large",
            _("The request body is larger than %(limit)s bytes.") % {"limit": settings.SMS_INBOUND_MAX_BODY_BYTES},
        )
    body = request.body
    problem = signing.check(
        body,
        signature=request.headers.get(signing.SIGNATURE_HEADER, ""),
        timestamp=request.headers.get(signing.TIMESTAMP_HEADER, ""),
    )
    if problem == "missing":
        return error_response(401, "signature_missing", _("Sign the request (X-Signature and X-Timestamp)."))
    if problem == "stale":
        return error_response(401, "signature_expired", _("The timestamp is too old or in the future."))
    if problem:
        return error_response(403, "signature_invalid", _("The signature does not match."))

    fields, errors = _fields(request, body)
    if errors:
        return error_response(400, "invalid", _("Some fields are not valid."), errors)
    row, processed = sms_inbound_receive(
        phone=fields["from"], text=fields["text"], message_id=fields["message_id"],
        received_at=fields["received_at"], ip=client_ip(request),
    )
    response = JsonResponse({"message_id": row.message_id, "command": row.command, "outcome": row.outcome})
    if not processed:
        response["Idempotent-Replayed"] = "true"
    return response


def _raw_body(request: HttpRequest, body: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    """The body as a dict (JSON or form-encoded), or the error saying why it cannot be read."""
    if (request.content_type or "").lower() == "application/json":
        try:
            loaded = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}, {"body": _("The body is not valid JSON.")}
        if not isinstance(loaded, dict):
            return {}, {"body": _("Send a JSON object.")}
        return loaded, {}
    try:
        return QueryDict(body.decode(), encoding="utf-8").dict(), {}
    except UnicodeDecodeError:
        return {}, {"body": _("The body is not valid UTF-8.")}


def _received_at(value: Any, errors: dict[str, str]) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        received = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        received = None
    if received is None:
        errors["received_at"] = _("Give the time as ISO 8601, e.g. 2026-03-01T08:30:00+07:00.")
    elif not date_in_range(received):
        # Year 1 or 9999 overflows once moved to Vietnam's time zone (the day a daily update
        # counts for): a 500 the gateway would retry for ever. Checked on the date as written,
        # before any conversion.
        errors["received_at"] = date_range_message()
        received = None
    elif timezone.is_naive(received):
        received = timezone.make_aware(received)
    return received


def _fields(request: HttpRequest, body: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    """from, text, message_id, received_at from a JSON or form-encoded body, and the errors."""
    raw, errors = _raw_body(request, body)
    if errors:
        return {}, errors
    fields: dict[str, Any] = {}

    message_id = raw.get("message_id")
    message_id = str(message_id).strip() if isinstance(message_id, (str, int)) else ""
    if not message_id or len(message_id) > MESSAGE_ID_MAX or not message_id.isprintable():
        errors["message_id"] = _("Give the gateway's message id (1 to %(max)s characters).") % {"max": MESSAGE_ID_MAX}
    fields["message_id"] = message_id

    sender = raw.get("from")
    try:
        fields["from"] = normalise_vn_phone(sender if isinstance(sender, str) else "")
    except ValidationError as exc:
        errors["from"] = exc.messages[0]

    text = raw.get("text", "")
    if not isinstance(text, str):
        errors["text"] = _("Must be text.")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("At most %(max)d characters.") % {"max": TEXT_MAX}
    fields["text"] = text if isinstance(text, str) else ""
    fields["received_at"] = _received_at(raw.get("received_at"), errors)
    return fields, errors
