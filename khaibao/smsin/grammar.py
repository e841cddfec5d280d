"""The SMS grammar: Vietnamese without diacritics, read the way people really type on a keypad.

Pure functions, no database: `parse(text)` turns a message into a `Command`. It is tolerant
(case, extra spaces and punctuation, diacritics if a phone adds them, common misspellings,
keywords run together or split: `KB`, `K B`, `KHAIBAO`, `0K`), but never guesses a health
fact: a message with a word it does not know, or a negation ("KHONG SOT"), is not recorded as
symptoms — it gets the help text instead. A wrong "I have a fever" would put someone in the
officials' queue; a help reply costs one more SMS.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

HELP = "help"
OK = "ok"
SYMPTOMS = "symptoms"
STATUS = "status"
REGISTER = "register"
CONFIRM = "confirm"
DECLINE = "decline"
CHECKIN = "checkin"
UNKNOWN = "unknown"

# Keywords, compared with every space and punctuation mark removed ("K B" == "KB").
_OK_WORDS = {"OK", "0K", "OKE", "OKAY", "OKIE", "KHOE", "KHOEMANH", "BINHTHUONG", "KHOEE"}
_HELP_WORDS = {"TROGIUP", "TROGIUPP", "TROGUIP", "HELP", "HUONGDAN", "HD", "TG"}
_STATUS_WORDS = {"TT", "TINHTRANG", "TRANGTHAI", "KETQUA", "KQ", "MUC"}
_CONFIRM_WORDS = {"XN", "XACNHAN", "DONGY", "DY"}
_DECLINE_WORDS = {"TUCHOI", "KHONGPHAI", "KOPHAI"}
_REGISTER_WORDS = ("KHAIBAO", "DANGKY", "DANGKI", "KB", "DK")
# Venue check-in (issue 20): `CHECKIN <code>`, as printed on the venue's poster; the code's
# letters and digits follow, with or without spaces ("CHECK IN ABC 234").
_CHECKIN_WORDS = ("CHECKIN", "CHEKIN", "CHECKINN", "QUETMA")

# Symptom words (the questionnaire's codes, khaibao/declarations/questionnaire_data), in the
# spellings and slips seen on keypads: S/X confusion, doubled letters, words run together.
SYMPTOM_WORDS: dict[str, str] = {
    "SOT": "fever", "XOT": "fever", "SOTT": "fever", "SOTCAO": "fever", "NONGSOT": "fever",
    "HO": "cough", "HOO": "cough", "HOKHAN": "cough", "HODOM": "cough",
    "KHOTHO": "shortness_of_breath", "KHOTHOO": "shortness_of_breath", "KHOTHOR": "shortness_of_breath",
    "HUTHO": "shortness_of_breath", "TUCNGUC": "shortness_of_breath",
    "VIEMPHOI": "pneumonia",
    "DAUHONG": "sore_throat", "RATHONG": "sore_throat", "VIEMHONG": "sore_throat", "DAUHONGG": "sore_throat",
    "MET": "fatigue", "METMOI": "fatigue", "MOIMET": "fatigue", "METMOY": "fatigue",
    "DAUNHUC": "body_aches", "DAUCO": "body_aches", "DAUMINH": "body_aches", "ONLANH": "body_aches",
    "DAUNHUCCO": "body_aches", "NHUCMOI": "body_aches",
    "DAUDAU": "headache", "NHUCDAU": "headache",
    "SOMUI": "runny_nose", "NGHETMUI": "runny_nose", "CHAYMUI": "runny_nose", "XOMUI": "runny_nose",
    "MATVI": "loss_of_taste_smell", "MATVIGIAC": "loss_of_taste_smell", "MATKHUU": "loss_of_taste_smell",
    "MATKHUUGIAC": "loss_of_taste_smell", "MATMUI": "loss_of_taste_smell",
    "BUONNON": "nausea", "NON": "nausea", "NONMUA": "nausea",
    "TIEUCHAY": "diarrhoea", "TIEUCHAI": "diarrhoea", "DIUNG": "diarrhoea",
}
# The longest symptom phrase, in words ("DAU NHUC CO").
_MAX_PHRASE_WORDS = 3
# Small words people add around symptoms ("TOI BI SOT VA HO"): they change nothing.
_FILLER = {"TOI", "EM", "BI", "CO", "VA", "HOI", "HOM", "NAY", "HOMNAY", "THAY", "HAY", "VOI", "BA", "ONG", "CHAU"}
# Any of these makes a symptom message ambiguous ("KHONG SOT" means no fever).
_NEGATIONS = {"KHONG", "KO", "K", "KG", "KHG", "CHANG", "CHUA", "HET", "HETSOT"}

_CCCD_LENGTH = 12


@dataclass(frozen=True)
class Registration:
    """What `KB …` carried; every part may be missing (the reply then says which)."""

    id_number: str = ""
    old_id_card: bool = False  # 9 digits: a CMND, no longer valid since 1 January 2025
    birth_year: int | None = None
    ward_code: int | None = None
    full_name: str = ""


@dataclass(frozen=True)
class Command:
    kind: str
    symptoms: tuple[str, ...] = ()
    registration: Registration | None = None
    unknown_words: tuple[str, ...] = field(default=())
    venue_code: str = ""


def normalise(text: str) -> str:
    """Upper case ASCII words and digits separated by single spaces (diacritics and
    punctuation gone)."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9]+", " ", text).upper()
    return " ".join(text.split())


def parse(text: str) -> Command:
    """The command in one SMS. Never raises: anything unrecognised is `UNKNOWN`."""
    raw = text or ""
    words = normalise(raw)
    compact = words.replace(" ", "")
    if not compact:
        return Command(HELP if "?" in raw else UNKNOWN)
    if compact in _HELP_WORDS:
        return Command(HELP)
    if compact in _OK_WORDS:
        return Command(OK)
    if compact in _STATUS_WORDS:
        return Command(STATUS)
    if compact in _CONFIRM_WORDS:
        return Command(CONFIRM)
    if compact in _DECLINE_WORDS:
        return Command(DECLINE)
    for keyword in _CHECKIN_WORDS:
        if compact.startswith(keyword):
            return Command(CHECKIN, venue_code=compact[len(keyword):])
    registration = _registration(words)
    if registration is not None:
        return Command(REGISTER, registration=registration)
    return _symptoms(words.split())


def _registration(words: str) -> Registration | None:
    # "KB001090012345" and "KB 001 090 012 345" are both how people type it: split letters
    # from digits, then match the keyword at the start, its letters possibly spaced out.
    spaced = re.sub(r"(?<=[A-Z])(?=\d)|(?<=\d)(?=[A-Z])", " ", words)
    for keyword in _REGISTER_WORDS:
        pattern = r"\s?".join(keyword)
        match = re.fullmatch(rf"{pattern}(?:\s+(.*))?", spaced)
        if match:
            return _registration_parts((match.group(1) or "").split())
    return None


def _is_number(token: str) -> bool:
    # ASCII digits only: str.isdigit() also accepts "²" or "①", which int() then refuses (a 500
    # instead of a reply). `normalise` leaves none today; this keeps it so for any caller.
    return token.isascii() and token.isdigit()


def _registration_parts(tokens: list[str]) -> Registration:
    digits = [t for t in tokens if _is_number(t)]
    name = " ".join(t for t in tokens if not _is_number(t)).title()
    id_number = ""
    old_id_card = False
    rest = digits
    # The ID number, written in one piece or in groups ("001 090 012 345").
    for end in range(1, len(digits) + 1):
        joined = "".join(digits[:end])
        if len(joined) == _CCCD_LENGTH:
            id_number, rest = joined, digits[end:]
            break
        if len(joined) > _CCCD_LENGTH:
            break
    if not id_number and digits and len(digits[0]) == 9:
        old_id_card, rest = True, digits[1:]
    elif not id_number and digits and len(digits[0]) > 4:
        rest = digits[1:]  # a mistyped ID: neither the year nor the ward
    birth_year = int(rest[0]) if rest and len(rest[0]) == 4 else None
    if birth_year is not None:
        rest = rest[1:]
    ward_code = int(rest[0]) if rest and len(rest[0]) <= 6 else None
    return Registration(
        id_number=id_number, old_id_card=old_id_card, birth_year=birth_year, ward_code=ward_code, full_name=name
    )


def _symptoms(tokens: list[str]) -> Command:
    codes: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_PHRASE_WORDS, len(tokens) - i), 0, -1):
            phrase = "".join(tokens[i:i + size])
            if phrase in SYMPTOM_WORDS:
                if SYMPTOM_WORDS[phrase] not in codes:
                    codes.append(SYMPTOM_WORDS[phrase])
                i += size
                break
        else:
            if tokens[i] in _NEGATIONS or tokens[i] not in _FILLER:
                unknown.append(tokens[i])
            i += 1
    if codes and not unknown:
        return Command(SYMPTOMS, symptoms=tuple(codes))
    return Command(UNKNOWN, unknown_words=tuple(unknown))


def cccd_facts(id_number: str) -> tuple[int, str] | None:
    """(birth year, sex) encoded in a 12-digit CCCD, or None when the digits cannot be one.

    Thông tư 59/2021/TT-BCA: digits 1–3 are the province of birth registration, digit 4 the
    sex and century (0/1 male/female born 1900–1999, 2/3 in 2000–2099, 4/5 in 2100–2199, …)
    and digits 5–6 the last two digits of the year of birth.
    """
    if len(id_number) != _CCCD_LENGTH or not _is_number(id_number):
        return None
    code = int(id_number[3])
    century = 1900 + (code // 2) * 100
    return century + int(id_number[4:6]), ("male" if code % 2 == 0 else "female")
