"""Country names and the order people look for them in (DOMAIN.md §7).

Names come from CLDR through Babel: Vietnamese ones are those a Vietnamese reader knows ("Áo",
"Séc", "Thổ Nhĩ Kỳ", "Hàn Quốc"), not pycountry's partial translation that fell back to English
or to archaic forms. Lists are sorted in Vietnamese alphabetical order — ă, â, đ, ê, ô, ơ, ư are
letters of their own, tones only break ties — with Việt Nam first.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from babel import Locale

HOME = "VN"

# The Vietnamese alphabet, with the letters only foreign names use (f, j, w, z) where the Latin
# alphabet puts them. A letter is its base plus any letter-forming mark (breve, circumflex, horn).
_ALPHABET = [
    "a", "a\u0306", "a\u0302", "b", "c", "d", "đ", "e", "e\u0302", "f", "g", "h", "i", "j", "k", "l", "m", "n",
    "o", "o\u0302", "o\u031b", "p", "q", "r", "s", "t", "u", "u\u031b", "v", "w", "x", "y", "z",
]
_LETTER_RANK = {letter: 100 + n for n, letter in enumerate(_ALPHABET)}
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
# Tones in CLDR's order: ngang (none), huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def _letters(text: str) -> list[tuple[str, int, bool]]:
    """(letter, tone, is upper case) for each character of `text`, marks folded into letters."""
    out: list[tuple[str, int, bool]] = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        letter = base.lower() + "".join(m for m in marks if m in _LETTER_MARKS)
        tone = max((_TONES.get(m, 0) for m in marks), default=0)
        out.append((letter, tone, base.isupper()))
    return out


def vietnamese_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[bool, ...]]:
    """Sort key for Vietnamese alphabetical order: letters first, then tones, then case.

    Spaces sort before punctuation and both before letters, so names compare word by word
    ("Ả Rập Xê-út" before "Ai Cập"), as CLDR's Vietnamese collation does. White space counts as
    one space, as a page shows it: ten ward names of the official list carry a double one
    ("Phường  Tân An"), which sorted them first of their province.
    """
    primary: list[int] = []
    tones: list[int] = []
    cases: list[bool] = []
    for letter, tone, upper in _letters(" ".join(text.split())):
        if letter.isspace():
            rank = 1
        elif letter.isdigit():
            rank = 10 + int(letter) if letter.isascii() else 20
        elif letter in _LETTER_RANK:
            rank = _LETTER_RANK[letter]
        elif letter.isalpha():
            rank = 200 + ord(letter[0])  # other scripts: after the Latin letters, by code point
        else:
            rank = 2  # hyphens, apostrophes, dots, brackets
        primary.append(rank)
        tones.append(tone)
        cases.append(upper)
    return tuple(primary), tuple(tones), tuple(cases)


@lru_cache(maxsize=4)
def _territories(language: str) -> dict[str, str]:
    return dict(Locale.parse(language).territories)


def country_name(code: str, language: str) -> str:
    """The CLDR name of ISO 3166-1 country `code` in `language` ("vi" or "en")."""
    return _territories(language).get(code.upper(), code.upper())


def _english_sort_key(name: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[bool, ...]]:
    # English ignores diacritics ("Åland Islands" sorts as "Aland Islands").
    return vietnamese_sort_key(unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())


def country_order(names: dict[str, str], language: str) -> list[str]:
    """Country codes in reading order for `language`: Việt Nam first, then alphabetical."""
    key = vietnamese_sort_key if language.startswith("vi") else _english_sort_key
    rest = sorted((code for code in names if code != HOME), key=lambda code: key(names[code]))
    return ([HOME] if HOME in names else []) + rest
