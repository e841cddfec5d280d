from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from khaibao.core import crypto

PHONE_INDEX_PURPOSE = "phone"
_PHONE_CHARS = re.compile(r"\+?\d+")


# Sign-in codes, reminders and warnings go by SMS: every phone the service stores must take one.
_SMS_CAPABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
# Vietnamese landlines are 0 + a 2x area code (024 Hà Nội, 028 TP.HCM, …) — mobiles never start so.
_LANDLINE_PREFIX = "2"
# Hotlines and service numbers (1800… free to call, 1900… paid): nobody's own phone.
_SERVICE_PREFIXES = ("1800", "1900")


def _service_number() -> ValidationError:
    return ValidationError(
        _("This is a hotline or service number (1800…, 1900…), not a person's phone. Enter a mobile number, e.g. 0912345678."),
        code="service_number",
    )


def _landline() -> ValidationError:
    return ValidationError(
        _("This looks like a landline. Enter a mobile number, which can receive SMS, e.g. 0912345678."),
        code="landline",
    )


def normalise_vn_phone(raw: str) -> str:
    """A Vietnamese mobile number in E.164 (+84…), or ValidationError.

    Accepts the forms people type: 0912345678, +84912345678, 84912345678, with spaces or dots.
    A landline, and a hotline or service number (1800…, 1900…), are refused each with its own
    message: codes and notifications go by SMS, to a person.
    """
    text = (raw or "").strip()
    if not text or len(text) > 20:
        raise ValidationError(_("Enter a Vietnamese phone number, e.g. 0912345678."), code="invalid")
    cleaned = "".join(ch for ch in text if ch not in " .-()\u00a0")
    if cleaned.startswith(_SERVICE_PREFIXES) and _PHONE_CHARS.fullmatch(cleaned):
        raise _service_number()
    # phonenumbers reads letters as keypad digits (vanity numbers): "0912ABC678" would pass.
    if not _PHONE_CHARS.fullmatch(cleaned):
        raise ValidationError(_("Enter a Vietnamese phone number, e.g. 0912345678."), code="invalid")
    if cleaned.startswith("84") and not cleaned.startswith("+"):
        cleaned = "+" + cleaned
    try:
        number = phonenumbers.parse(cleaned, "VN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a Vietnamese phone number, e.g. 0912345678."), code="invalid") from exc
    if number.country_code != 84:
        raise ValidationError(_("This is not a valid Vietnamese phone number."), code="invalid")
    if str(number.national_number).startswith(_SERVICE_PREFIXES):
        raise _service_number()
    if not phonenumbers.is_valid_number(number):
        if str(number.national_number).startswith(_LANDLINE_PREFIX):
            raise _landline()

        raise ValidationError(_("This is not a valid Vietnamese phone number."), code="invalid")
    if phonenumbers.number_type(number) not in _SMS_CAPABLE:
        raise _landline()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_index(e164: str) -> str:
    return crypto.blind_index(e164, purpose=PHONE_INDEX_PURPOSE)


def mask_phone(e164: str) -> str:
    return f"{e164[:4]}•••••{e164[-3:]}" if len(e164) > 7 else "•••"
