"""Why a checked pass is not valid, in words: the one owner of these messages, for the
checkpoint's page (backoffice) and `POST /passes/verify` alike. The codes are
`services.REASONS`."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

REASON_MESSAGES: dict[str, Promise] = {
    "expired": _("This pass has expired. Ask the person to open their pass again to get a fresh one."),
    "bad_signature": _("This code was not issued by Khai Báo, or it was changed."),
    "malformed": _("This is not a Khai Báo health pass code."),
    "unknown_code": _("No valid pass has this code. Check the letters, or scan the QR code."),
}


def reason_message(reason: str | None) -> str:
    """The message for a pass check's `reason` in the active language; "" when there is none."""
    if not reason:
        return ""
    message = REASON_MESSAGES.get(reason)
    return str(message) if message is not None else reason
