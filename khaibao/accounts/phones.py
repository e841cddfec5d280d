from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from khaibao.core import crypto

PHONE_INDEX_PURPOSE = "phone"
_PHONE_CHARS = re.compile(r"\+?\d+")


def normalise_vn_phone(raw: str) -> str:
    """A Vietnamese mobile or landline number in E.164 (+84…), or ValidationError.

    Accepts the forms people type: 0912345678, +84912345678, 84912345678, with spaces or dots.
    """
    text = (raw or "").strip()
    if not text or len(text) > 20:
        raise ValidationError(_("Enter a Vietnamese phone number, e.g. 0912345678."), code="invalid")
    cleaned = "".join(ch for ch in text if ch not in " .-()\u00a0")
    # phonenumbers reads letters as keypad digits (vanity numbers): "0912ABC678" would pass.
    if not _PHONE_CHARS.fullmatch(cleaned):
        raise ValidationError(_("Enter a Vietnamese phone number, e.g. 0912345678."), code="invalid")
    if cleaned.startswith("84") and not cleaned.startswith("+"):
        cleaned = "+" + cleaned
    try:
        number = phonenumbers.parse(cleaned, "VN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a Vietnamese phone number, e.g. 0912345678."), code="invalid") from exc
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This is not a valid Vietnamese phone number."), code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_index(e164: str) -> str:
    return crypto.blind_index(e164, purpose=PHONE_INDEX_PURPOSE)


def mask_phone(e164: str) -> str:
    return f"{e164[:4]}•••••{e164[-3:]}" if len(e164) > 7 else "•••"
