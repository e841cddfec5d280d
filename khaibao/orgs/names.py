"""The names org admins type, and what a unit's name may not carry.

`clean_name` cleans one line of text (a unit's, a campaign's, a sub-admin's display name) and
bounds it; `unit_name_allowed` is the rule that keeps phone numbers and web addresses out of a
unit's name, which opens every reminder its members get (asked by `clean_unit_name` for a new
name, and by orgs.reminder_texts for an older one). Pure functions: no database.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from khaibao.core.errors import ServiceError
from khaibao.people import validators as v

UNIT_NAME_MAX = 200


def clean_name(value: str, *, name: str = "name", max_length: int = UNIT_NAME_MAX) -> str:
    try:
        text = v.clean_street(value)
    except ValidationError as exc:
        raise ServiceError.for_field(name, exc.messages[0]) from exc
    if not text:
        raise ServiceError.for_field(name, _("Enter the name."), "required")
    if len(text) > max_length:
        raise ServiceError.for_field(name, _("At most %(max)d characters.") % {"max": max_length})
    return text


# A unit's name opens every reminder its members get, by SMS from the service's number
# (orgs/reminder_sms.py): it must not carry a phone number or a web address, or an admin could text
# anyone on a roster their own advert or a look-alike of this site. An allow-rule, because a list
# of domain endings always misses one (".in", ".pw", ".la", … — security review, finding 2).
#
# The name is first read as a phone shows it: NFKC (full-width letters, digits and dots become
# ASCII), ideographic dots and bracketed dots ("evil[.]com") become ".", invisible characters go.
# A web address: "://", "www.", a dotted name before a slash ("t.me/…"), or any dot (spaces around
# it or not) followed by two or more ASCII letters — unless the part before the dot is one of the
# Vietnamese abbreviations written that way ("TP.HCM", "Q.Ba Đình", "P. Bến Nghé") and the part
# after it starts with a capital, as place names do ("tp.la" is refused).
# A phone number: 6 digits or more with no letter between them, whatever else does
# ("0909 999 999", "0909,999,999", "1900.1234"), or 8 digits or more with lone letters between
# them and a group of at least 3 ("Gọi 0909 9x99 999", "O9O9 999 999"); a class list ("10A1,
# 11A2, 12A3") is not one, and neither is a year or a span of years ("2020-2024").
_ABBREVIATIONS = frozenset(
    # thành phố, quận, phường, xã, huyện, thị xã, thị trấn, tỉnh, khu phố, tổ dân phố, đường,
    # khu công nghiệp, khu đô thị, đại học, cao đẳng, trường học cấp 1–3, bệnh viện, trung tâm
    # y tế, công ty, chi nhánh, and titles (thạc sĩ, tiến sĩ, phó giáo sư, giáo sư, bác sĩ).
    {
        "TP", "Q", "P", "X", "H", "TX", "TT", "T", "KP", "TDP", "Đ", "KCN", "KĐT", "ĐH", "CĐ", "TH", "THCS",
        "THPT", "BV", "TTYT", "CTY", "CT", "CN", "THS", "TS", "PGS", "GS", "BS",
    }
)
_DOT_LOOKALIKES = re.compile(r"[\[({<]\s*(?:\.|dot|chấm)\s*[\])}>]|[。︒]", re.IGNORECASE)
_DOT = re.compile(r"\s*\.\s*")
_LABEL_BEFORE = re.compile(r"[^\W_][\w-]*$")
_ENDING_AFTER = re.compile(r"[A-Za-z]{2,}(?![\w-])")
_WEB_MARKERS = re.compile(r"://|\bwww\s*\.|[^\W_][\w-]*\s*\.\s*[^\W\d_][\w-]*\s*/", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]+")
_WORDS = re.compile(r"[^\W\d_]{2,}")
_DIGIT_GROUP = re.compile(r"\d+")
_YEAR_SPAN = re.compile(r"(19[4-9]\d|20\d\d)\s?[-–]\s?(19[4-9]\d|20\d\d)")
_YEAR = re.compile(r"(?<!\d)(?:19[4-9]\d|20\d\d)(?!\d)")


def _as_shown(name: str) -> str:
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))
    return _DOT_LOOKALIKES.sub(".", text)


def _has_web_address(text: str) -> bool:
    if _WEB_MARKERS.search(text):
        return True
    for dot in _DOT.finditer(text):
        ending = _ENDING_AFTER.match(text, dot.end())
        if ending is None:
            continue
        label = _LABEL_BEFORE.search(text, 0, dot.start())
        if label is None:
            return True
        before = text[: label.start()].rstrip()
        abbreviation = (
            label.group().upper() in _ABBREVIATIONS and label.group()[0].isupper() and ending.group()[0].isupper()
        )
        if not abbreviation or before.endswith("."):
            return True
    return False


def _years_left_out(text: str) -> str:
    spans = _YEAR_SPAN.sub(lambda m: " " if 0 <= int(m.group(2)) - int(m.group(1)) <= 10 else m.group(), text)
    return _YEAR.sub(" ", spans)


def _has_phone_number(text: str) -> bool:
    text = _years_left_out(text)
    if any(sum(c.isdigit() for c in part) >= 6 for part in _LETTERS.split(text)):
        return True
    for part in _WORDS.split(text):
        groups = _DIGIT_GROUP.findall(part)
        if sum(map(len, groups)) >= 8 and max(map(len, groups)) >= 3:
            return True
    return False


def unit_name_allowed(name: str) -> bool:
    """False when `name` carries a phone number or a web address (the rules above): refused for a
    new name, and an older name like that is left out of the reminders (orgs.reminder_texts)."""
    text = _as_shown(name)
    return not (_has_web_address(text) or _has_phone_number(text))


def clean_unit_name(value: str) -> str:
    clean = clean_name(value)
    if not unit_name_allowed(clean):
        raise ServiceError.for_field(
            "name", _("A unit's name cannot contain a phone number or a web address."), "contact_in_name"
        )
    return clean
