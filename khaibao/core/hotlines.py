"""The health hotlines (đường dây nóng) every page, SMS and advice gives: one owner.

The numbers are the setting HEALTH_HOTLINES (national digits as dialled, the main one first), so
a deployment can change them and no text can keep an old one. Translated strings carry a
placeholder — `%(hotline)s` (the main number) or `%(hotlines)s` (all of them) — filled with
`hotline_params()` where the text is used; templates get `hotlines` from the context processor
(core.context_processors) and render includes/hotlines.html. The settings are read at each call:
override_settings and a changed deployment both apply at once.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from django.conf import settings

# Between the numbers in a sentence. Not the " · " between the pages' links: these sentences also
# go by SMS (the risk advice in smsin's replies), and "·" is not in the GSM alphabet — one such
# character turns the whole SMS into UCS-2, 70 characters a part instead of 160.
HOTLINES_SEPARATOR = " / "


# Cached: the advice of every status read and daily update answer is formatted with the hotlines,
# and parsing a number costs tens of microseconds; a number's formatting never changes.
@lru_cache(maxsize=256)
def format_hotline(digits: str) -> str:
    """Grouped for reading aloud: "1900 9095", "024 3825 3531", "115"."""
    try:
        number = phonenumbers.parse(digits, "VN")
    except phonenumbers.NumberParseException:
        return digits
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return digits


def hotlines() -> list[tuple[str, str]]:
    """Every health hotline as (digits to dial, formatted), the main one first."""
    return [(digits, format_hotline(digits)) for digits in settings.HEALTH_HOTLINES]


def hotline() -> str:
    """The main health hotline, formatted: "1900 9095"."""
    return format_hotline(settings.HEALTH_HOTLINES[0])


def hotline_params() -> dict[str, str]:
    """The placeholders of translated strings: `hotline` (the main number), `hotlines` (all)."""
    return {
        "hotline": hotline(),
        "hotlines": HOTLINES_SEPARATOR.join(text for _digits, text in hotlines()),
    }


def hotline_links() -> list[dict[str, str]]:
    """For templates (includes/hotlines.html): each number as {"digits", "text"}."""
    return [{"digits": digits, "text": text} for digits, text in hotlines()]
