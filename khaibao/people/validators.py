"""The rules for a person's fields, in one place: the API schemas, the web forms and the
services all call these functions, so a rule never exists in two copies.

Every function is pure (no database): it returns the cleaned value or raises Django's
`ValidationError` with a message the user can act on. Rules that need the database (the ward
and the country exist, the ID number is not registered elsewhere) live in `people.persons`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from khaibao.accounts.phones import normalise_vn_phone
from khaibao.people.models import Relation, Sex

FULL_NAME_MAX = 100
STREET_MAX = 200
EARLIEST_BIRTH = date(1900, 1, 1)
# Vietnamese law (Luật Căn cước 2023) makes the citizen ID card compulsory from age 14;
# younger children may have none, so their ID number is optional.
ID_REQUIRED_FROM_AGE = 14

# ASCII digits only: `\d` also matches Arabic-Indic or full-width digits, which would store the
# same number under another blind index and pass the duplicate check (core/params.py says the same).
_CCCD = re.compile(r"[0-9]{12}")
_CMND = re.compile(r"[0-9]{9}")
# Passports: 6–12 letters and digits with at least one letter and one digit (e.g. C1234567).
_PASSPORT = re.compile(r"(?=.*[A-Z])(?=.*\d)[A-Z0-9]{6,12}")
# Unicode "other" categories: control, format (zero-width, bidi overrides), surrogate,
# private use, unassigned — and line/paragraph separators. None belongs in a name or address.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _clean_text(value: str, *, max_length: int) -> str:
    text = unicodedata.normalize("NFC", value or "").strip()
    if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in text):
        raise ValidationError(_("Remove the invisible or control characters."), code="control_characters")
    text = re.sub(r" {2,}", " ", text)
    if len(text) > max_length:
        raise ValidationError(
            _("At most %(max)d characters (this has %(length)d).") % {"max": max_length, "length": len(text)},
            code="max_length",
        )
    return text


# What a name may hold besides letters (any script, with their combining marks): the space, the
# hyphen, the apostrophe (straight or typographic) and the dot (initials: "Nguyễn T. Lan").
_NAME_PUNCTUATION = frozenset(" -'’.")


def _name_character(ch: str) -> bool:
    return ch in _NAME_PUNCTUATION or unicodedata.category(ch)[0] in ("L", "M")


def clean_full_name(value: str) -> str:
    """Trimmed, NFC-normalised, 1–100 characters, at least one letter; only letters of any
    script, spaces, hyphens, apostrophes and dots (no digits, emoji or symbols)."""
    text = _clean_text(value, max_length=FULL_NAME_MAX)
    if not text:
        raise ValidationError(_("Enter the full name."), code="required")
    if not any(ch.isalpha() for ch in text):
        raise ValidationError(_("Write the full name in letters."), code="invalid")
    if not all(_name_character(ch) for ch in text):
        raise ValidationError(
            _("Use only letters, spaces, hyphens (-), apostrophes (') and dots (.) in a name."), code="characters"
        )
    return text


def clean_street(value: str | None) -> str:
    """Optional house number and street, at most 200 characters, no control characters."""
    return _clean_text(value or "", max_length=STREET_MAX)


def clean_date_of_birth(value: date, *, today: date) -> date:
    """Not in the future and not before 1900."""
    if value > today:
        raise ValidationError(_("The date of birth cannot be in the future."), code="future")
    if value < EARLIEST_BIRTH:
        raise ValidationError(_("The date of birth cannot be before 1900."), code="too_early")
    return value


def clean_birth_year(value: int, *, today: date) -> int:
    """Between 1900 and the current year."""
    if value > today.year:
        raise ValidationError(_("The year of birth cannot be in the future."), code="future")
    if value < EARLIEST_BIRTH.year:
        raise ValidationError(_("The year of birth cannot be before 1900."), code="too_early")
    return value


def resolve_birth_year(date_of_birth: date | None, birth_year: int | None) -> int:
    """The year of birth from a date and/or a year; both given must agree.

    Raises ValidationError keyed by field name ("date_of_birth" or "birth_year").
    """
    if date_of_birth is None and birth_year is None:
        raise ValidationError(
            {"date_of_birth": _("Give the date of birth, or at least the year of birth.")}, code="required"
        )
    if date_of_birth is not None and birth_year is not None and date_of_birth.year != birth_year:
        raise ValidationError(
            {"birth_year": _("The year of birth does not match the date of birth.")}, code="mismatch"
        )
    return date_of_birth.year if date_of_birth is not None else birth_year  # type: ignore[return-value]


def youngest_possible_age(*, date_of_birth: date | None, birth_year: int, today: date) -> int:
    """The age in full years; with only a year of birth, the lower of the two possible ages."""
    if date_of_birth is not None:
        before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
        return today.year - date_of_birth.year - int(before_birthday)
    return today.year - birth_year - 1


def clean_id_number(value: str | None) -> str:
    """An ID number in canonical form, or "" when none was given.

    Spaces are ignored and letters upper-cased. Accepted: CCCD (exactly 12 digits), old CMND
    (exactly 9 digits), passport (6–12 letters and digits, at least one of each).
    """
    text = re.sub(r"\s+", "", value or "").upper()
    if not text:
        return ""
    if text.isdigit():
        if _CCCD.fullmatch(text) or _CMND.fullmatch(text):
            return text
        raise ValidationError(
            _("A citizen ID (CCCD) has exactly 12 digits; an old ID card (CMND) has exactly 9 digits."),
            code="invalid",
        )
    if _PASSPORT.fullmatch(text):
        return text
    raise ValidationError(
        _("Enter a citizen ID (CCCD, 12 digits), an old ID card (CMND, 9 digits) "
          "or a passport number (6 to 12 letters and digits)."),
        code="invalid",
    )


def check_id_number_required(id_number: str, *, date_of_birth: date | None, birth_year: int, today: date) -> None:
    """Anyone aged 14 or over needs an ID number; children under 14 may have none."""
    if id_number:
        return
    if youngest_possible_age(date_of_birth=date_of_birth, birth_year=birth_year, today=today) >= ID_REQUIRED_FROM_AGE:
        raise ValidationError(
            {"id_number": _("An ID number is required for anyone aged 14 or over "
                            "(citizen ID, old ID card or passport). It is optional for children under 14.")},
            code="required",
        )


def clean_phone(value: str | None) -> str:
    """An optional Vietnamese phone number, in E.164 (+84…); "" when none was given."""
    text = (value or "").strip()
    if not text:
        return ""
    return normalise_vn_phone(text)


def clean_nationality(value: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased (existence is checked against places.Country)."""
    text = (value or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ValidationError(_("Use the two-letter country code, e.g. VN."), code="invalid")
    return text


def clean_sex(value: str) -> str:
    if value not in Sex.values:
        raise ValidationError(_("Choose male, female or other."), code="invalid_choice")
    return value


def clean_relation(value: str) -> str:
    if value not in Relation.values:
        raise ValidationError(
            _("Choose one of: self, spouse, child, parent, grandparent, sibling, other."), code="invalid_choice"
        )
    return value

