"""Reading a roster file (CSV or XLSX) into rows, and the pure per-cell rules.

No database here: `orgs.roster_import.roster_import` resolves units and upserts members. The file is
read by `orgs.roster_files` (CSV) and `orgs.roster_xlsx`, as a stream and within bounds (the limits below and there); this
module owns the limits' messages.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

from django.core.files import File
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from khaibao.core.errors import ServiceError
from khaibao.exports.cells import FORMULA_TRIGGERS
from khaibao.orgs.models import MemberRole
from khaibao.orgs.roster_files import MAX_RECORD_CHARS, MAX_TEXT_CHARS, Refused, csv_rows
from khaibao.orgs.roster_xlsx import xlsx_rows
from khaibao.orgs.roster_xlsx_package import MAX_CELLS, MAX_UNPACKED_BYTES

MAX_ROWS = 20_000
MAX_FILE_BYTES = 10 * 1024 * 1024


def fold(text: str) -> str:
    """Lower case, no diacritics (đ → d), single spaces: "Công chức/Viên chức" → "cong chuc/vien chuc"."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(plain.split())


@lru_cache(maxsize=1)
def _role_words() -> dict[str, str]:
    # A roster names roles in Vietnamese (with or without diacritics), in English or by code,
    # whatever language the admin who uploads it reads the site in.
    words: dict[str, str] = {}
    for role in MemberRole:
        words[role.value] = role.value
        for language in ("vi", "en"):
            with translation.override(language):
                words[fold(str(role.label))] = role.value
    words.update(
        {
            "cong chuc": MemberRole.CIVIL_SERVANT,
            "vien chuc": MemberRole.CIVIL_SERVANT,
            "cong chuc, vien chuc": MemberRole.CIVIL_SERVANT,
            "cong chuc vien chuc": MemberRole.CIVIL_SERVANT,
            "khac": MemberRole.OTHER,
            "can bo": MemberRole.CADRE,
        }
    )
    return words


def parse_role(raw: str) -> str | None:
    """The role code for a Vietnamese label (with or without diacritics) or a code; "" → other."""
    key = fold(raw or "")
    if not key:
        return MemberRole.OTHER
    key = key.replace(" / ", "/")
    words = _role_words()
    return words.get(key) or words.get(key.replace("_", " "))


_HEADERS = {
    "full_name": {"full name", "name", "ho va ten", "ho ten", "ten"},
    "phone": {"phone", "phone number", "so dien thoai", "dien thoai", "sdt", "so dt"},
    "unit": {"unit", "unit code", "unit path", "unit code or path", "don vi", "ma don vi"},
    "role": {"role", "vai tro", "chuc danh", "doi tuong"},
}


@dataclass
class RosterRow:
    number: int  # the row number a spreadsheet shows (header = 1)
    full_name: str
    phone: str
    unit: str
    role: str


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    # Our own error file neutralises formulas with a leading apostrophe ("'+84912345678",
    # exports.cells): take it off again so the corrected file imports as it is (issue 21).
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        text = text[1:]
    # A spreadsheet stores 0912345678 typed as a number as 912345678.
    if isinstance(value, int) and len(text) == 9:
        text = "0" + text
    return text


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, title in enumerate(header):
        key = fold(title).rstrip(":*")
        for name, words in _HEADERS.items():
            if key in words and name not in found:
                found[name] = position
    if "full_name" not in found or "phone" not in found:
        raise ServiceError(
            _("The first row must name the columns: full name, phone, unit, role."),
            code="bad_header",
            fields={"file": _("The first row must name the columns: full name, phone, unit, role.")},
        )
    return found


def _unreadable(message: str | None = None) -> ServiceError:
    text = message or _("The file could not be read. Upload a CSV (UTF-8) or XLSX file.")
    return ServiceError(text, code="unreadable_file", fields={"file": text})


def _too_large() -> ServiceError:
    return _unreadable(_("The file is larger than %(mb)s MB. Split it into several files.") % {"mb": MAX_FILE_BYTES // 2**20})


def _refusal(refused: Refused) -> ServiceError:
    if refused.reason == "rows":
        message = _("The file has more than %(max)s rows. Split it into files of at most %(max)s rows.") % {
            "max": number_format(MAX_ROWS, force_grouping=True)
        }
        return ServiceError(message, code="too_many_rows", fields={"file": message})
    if refused.reason == "record":
        return _unreadable(
            _("Row %(row)s is longer than %(max)s characters: check that every quotation mark (\") is closed.")
            % {"row": refused.row, "max": number_format(MAX_RECORD_CHARS, force_grouping=True)}
        )
    if refused.reason == "unpacked":
        return _unreadable(
            _("The spreadsheet is too large once unpacked (at most %(mb)s MB). Split it into several files.")
            % {"mb": MAX_UNPACKED_BYTES // 2**20}
        )
    if refused.reason == "cells":
        return _unreadable(
            _("The spreadsheet has too many cells (at most %(max)s). Split it into several files.")
            % {"max": number_format(MAX_CELLS, force_grouping=True)}
        )
    if refused.reason == "text":
        return _too_large()
    if refused.reason == "encoding":
        return _unreadable(_("Save the CSV file as UTF-8."))
    if refused.reason == "empty":
        return _unreadable(_("The file is empty."))
    return _unreadable()


def read_roster(name: str, handle: IO[bytes] | File, size: int) -> list[RosterRow]:
    """The rows of a roster file, or ServiceError for a file that cannot be imported at all.

    Refused as soon as a limit is passed, before more is read: MAX_ROWS rows after the header
    (empty rows count), MAX_FILE_BYTES uploaded, and orgs.roster_files', roster_xlsx's and roster_xlsx_package's limits (a CSV row's
    length; an XLSX's unpacked size, cells and columns). Only the columns the header names are
    kept, and at most MAX_TEXT_CHARS characters in all.
    """
    if not name.lower().endswith((".csv", ".xlsx")):
        raise _unreadable(_("Upload a .csv or .xlsx file."))
    if size > MAX_FILE_BYTES:
        raise _too_large()
    columns: dict[str, int] = {}

    def pick(header: list[Any]) -> list[int]:
        columns.update(_columns([_cell_text(v) for v in header]))
        return list(columns.values())

    read = xlsx_rows if name.lower().endswith(".xlsx") else csv_rows
    try:
        body = read(handle, pick, MAX_ROWS)
    except Refused as refused:
        raise _refusal(refused) from refused
    rows = []
    kept = 0  # characters: a shared string named on every row must not multiply into the error file
    for number, (values, filled) in enumerate(body, start=2):
        cells = dict(zip(columns, [_cell_text(v) for v in values], strict=True))
        kept += sum(len(text) for text in cells.values())
        if kept > MAX_TEXT_CHARS:
            raise _too_large()
        if not filled and not any(cells.values()):
            continue
        get = cells.get
        rows.append(RosterRow(number, get("full_name", ""), get("phone", ""), get("unit", ""), get("role", "")))
    return rows
