"""The rows of an XLSX roster, read within bounds whatever the file claims (orgs.roster_files
says how; this is its XLSX half). The package — the zip checked before anything is unpacked, its
parts found and streamed to expat within bounds — is orgs.roster_xlsx_package's; this reads the
cells of the first worksheet and the shared strings into rows.

The first MAX_COLUMNS columns only (not the width the sheet claims); a cell's text is cut at
Excel's own limit; a shared string is kept only if a kept cell names it. Values are openpyxl's
(read-only, data only), but numbers stay numbers: no date formats, a roster has no dates. openpyxl
itself is not used to read: its read-only mode pads every row to the width the sheet declares and
loads the whole shared-strings table, which a 2 KB file turns into gigabytes
(orgs/tests/test_roster_bombs.py).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import IO, Any
from xml.parsers import expat

from khaibao.orgs.roster_files import MAX_TEXT_CHARS, Pick, Refused, Row
from khaibao.orgs.roster_xlsx_package import Counted, PartDone, local_tag, locate_parts, parse_part, xlsx_open

MAX_COLUMNS = 256  # read of an XLSX sheet (A to IV); a CSV row is bounded by MAX_RECORD_CHARS
MAX_CELL_CHARS = 32_767  # Excel's own limit for a cell: longer text is cut


class _Ref(int):
    """A cell naming shared string number int(self)."""

    __slots__ = ()


@lru_cache(maxsize=1024)
def _column(ref: str) -> int:
    letters = ref.rstrip("0123456789").replace("$", "").upper()
    if not (0 < len(letters) <= 3 and letters.isascii() and letters.isalpha()):
        raise ValueError(f"not a cell reference: {ref[:20]!r}")
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise
        return int(number)


class _Sheet(Counted):
    """Handlers for a worksheet: each finished row goes to `done` as (number, {column: value}),
    columns 1 to MAX_COLUMNS only."""

    def __init__(self) -> None:
        self.done: list[tuple[int, dict[int, Any]]] = []
        self.number = 0
        self.cells: dict[int, Any] = {}
        self.column = 0
        self.kind = ""  # the type of the kept cell being read ("" outside one)
        self.value: list[str] | None = None  # its <v>
        self.inline: list[str] | None = None  # its <is>
        self.text: list[str] | None = None  # where character data goes
        self.size = 0
        self.phonetic = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.counted()
        tag = name if ":" not in name else local_tag(name)
        if tag == "c":
            ref = attrs.get("r")
            self.column = _column(ref) if ref else self.column + 1
            self.kind = attrs.get("t", "n") if self.column <= MAX_COLUMNS else ""
            self.value = self.inline = self.text = None
        elif not self.kind:
            if tag == "row":
                ref = attrs.get("r")
                self.number = _row_number(ref) if ref else self.number + 1
                self.column = 0
        elif tag == "v":
            self.value = self.text = []
            self.size = 0
        elif tag == "is":
            self.inline = []
            self.size = 0
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "t" and self.inline is not None and not self.phonetic:
            self.text = self.inline

    def chars(self, data: str) -> None:
        if self.text is not None and self.size < MAX_CELL_CHARS:
            self.text.append(data[: MAX_CELL_CHARS - self.size])
            self.size += len(data)

    def end(self, name: str) -> None:
        tag = name if ":" not in name else local_tag(name)
        if tag == "c":
            if self.kind:
                value = self._value()
                if value is None:
                    self.cells.pop(self.column, None)
                else:
                    self.cells[self.column] = value
            self.kind = ""
            self.text = None
        elif tag in ("v", "t"):
            self.text = None
        elif tag == "row":
            self.done.append((self.number, self.cells))
            self.cells = {}
        elif tag == "rPh":
            self.phonetic -= 1

    def _value(self) -> Any:
        if self.kind == "inlineStr":
            return None if self.inline is None else "".join(self.inline)
        raw = "".join(self.value or ())
        if not raw:
            return None
        if self.kind == "n":
            return float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
        if self.kind == "s":
            return _Ref(int(raw))
        if self.kind == "b":
            return bool(int(raw))
        if self.kind == "d":
            try:
                return datetime.fromisoformat(raw)
            except ValueError:
                return raw
        return raw  # "str" (a formula's text), "e" (an error: #N/A…)


class _Strings(Counted):
    """Handlers for the shared strings: the texts of the `wanted` entries (stopping after the
    last) or, with `blanks`, also which of all the entries hold nothing but spaces."""

    def __init__(self, wanted: set[int], blanks: bool = False) -> None:
        self.wanted = wanted
        self.last = max(wanted, default=-1)
        self.blanks = bytearray() if blanks else None
        self.texts: dict[int, str] = {}
        self.kept = 0
        self.index = -1
        self.parts: list[str] | None = None
        self.size = 0
        self.filled = self.in_text = False
        self.phonetic = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.counted()
        tag = name if ":" not in name else local_tag(name)
        if tag == "si":
            self.index += 1
            if self.blanks is None and self.index > self.last:
                raise PartDone
            self.parts = [] if self.index in self.wanted else None
            self.size = 0
            self.filled = False
        elif tag == "t":
            self.in_text = not self.phonetic
        elif tag == "rPh":
            self.phonetic += 1

    def chars(self, data: str) -> None:
        if self.in_text:
            self.filled = self.filled or not data.isspace()
            if self.parts is not None and self.size < MAX_CELL_CHARS:
                self.parts.append(data[: MAX_CELL_CHARS - self.size])
                self.size += len(data)

    def end(self, name: str) -> None:
        tag = name if ":" not in name else local_tag(name)
        if tag == "t":
            self.in_text = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "si":
            if self.parts is not None:
                text = "".join(self.parts).replace("x005F_", "")
                self.kept += len(text)
                if self.kept > MAX_TEXT_CHARS:
                    raise Refused("text")
                self.texts[self.index] = text
            if self.blanks is not None and not self.filled:
                byte = self.index >> 3
                if byte >= len(self.blanks):
                    self.blanks.extend(bytes(byte + 1 - len(self.blanks)))
                self.blanks[byte] |= 1 << (self.index & 7)

    def filled_cell(self, value: Any) -> bool:
        if type(value) is _Ref:
            assert self.blanks is not None
            byte = value >> 3
            return not (byte < len(self.blanks) and self.blanks[byte] & 1 << (value & 7))
        return not isinstance(value, str) or bool(value.strip())


def _strings(archive: zipfile.ZipFile, part: str | None, wanted: set[int], blanks: bool = False) -> _Strings:
    handler = _Strings(wanted, blanks)
    if part is not None and (wanted or blanks):
        for _ in parse_part(archive, part, handler):
            pass
    if len(handler.texts) < len(wanted):
        raise IndexError("a cell names a shared string the table does not have")
    return handler


def _sheet_rows(archive: zipfile.ZipFile, part: str) -> Iterator[dict[int, Any]]:
    """The sheet's rows from row 1, a missing row as {} (a row's place is its number)."""
    handler = _Sheet()
    expected = 1
    for _ in parse_part(archive, part, handler):
        for number, cells in handler.done:
            if number < expected:
                continue  # out of order: openpyxl skips it too
            while expected < number:
                yield {}
                expected += 1
            yield cells
            expected += 1
        handler.done.clear()


def _xlsx_rows(archive: zipfile.ZipFile, pick: Pick, max_rows: int) -> list[Row]:
    sheet_part, strings_part = locate_parts(archive)
    sheet = _sheet_rows(archive, sheet_part)
    header = next(sheet, None)
    if header is None:
        raise Refused("empty")
    table = _strings(archive, strings_part, {v for v in header.values() if type(v) is _Ref}, blanks=True)
    titles = (header.get(c) for c in range(1, max(header, default=0) + 1))
    columns = [p + 1 for p in pick([table.texts[v] if type(v) is _Ref else v for v in titles])]
    rows: list[Row] = []
    for cells in sheet:
        if len(rows) == max_rows:
            raise Refused("rows")
        rows.append(([cells.get(c) for c in columns], any(map(table.filled_cell, cells.values()))))
    texts = _strings(archive, strings_part, {v for values, _ in rows for v in values if type(v) is _Ref}).texts
    return [([texts[v] if type(v) is _Ref else v for v in values], filled) for values, filled in rows]


def xlsx_rows(handle: IO[bytes] | Any, pick: Pick, max_rows: int) -> list[Row]:
    """The rows after the header of an XLSX workbook's first worksheet."""
    try:
        with xlsx_open(handle) as archive:
            return _xlsx_rows(archive, pick, max_rows)
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError, OSError, EOFError, RuntimeError,
            NotImplementedError, zlib.error, expat.ExpatError) as exc:
        raise Refused("unreadable") from exc
