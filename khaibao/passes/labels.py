"""A pass's codes in words — the one owner of them, for the citizen's card, the checkpoint's
page (backoffice) and the API alike: the colours (`services.COLOURS`: their word, and what each
means to the holder) and why a checked pass is not valid (`verify.REASONS`)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from khaibao.declarations.labels import COLOUR_LABELS as LEVEL_COLOUR_WORDS

# Keyed by the colour codes of services.COLOURS (passes/tests/test_labels.py keeps them equal); the
# words are the levels' colours' own (declarations.labels), so a pass and a case say one word.
COLOUR_LABELS: dict[str, Promise] = {code: LEVEL_COLOUR_WORDS[code] for code in ("green", "yellow", "red", "grey")}
# What a colour means to the holder (their own card). Checkpoints see the colour word only.
COLOUR_MEANINGS: dict[str, Promise] = {
    "green": _("Declared, low risk and updated in the last 24 hours."),
    "yellow": _("Medium risk or under health monitoring."),
    "red": _("High or urgent risk: follow the health station's advice."),
    "grey": _("No declaration or no update in the last 24 hours."),
}


def colour_label(colour: str | None) -> str:
    """The word for a pass colour in the active language; "" when there is no colour."""
    return str(COLOUR_LABELS[colour]) if colour else ""


def colour_meaning(colour: str | None) -> str:
    """What a pass colour means to its holder, in the active language; "" without a colour."""
    return str(COLOUR_MEANINGS[colour]) if colour else ""

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
