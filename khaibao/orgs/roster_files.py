"""The rows of a roster file, read within bounds whatever the file claims.

A roster comes from any organisation admin, so nothing in it is trusted: not the width and
height a sheet declares, not the sizes a zip announces, not the length of a line. This module
reads; `orgs.roster` owns the rules and their messages. A file that cannot be read within the
bounds raises `Refused`, as soon as a bound is passed.

- Rows are counted as they stream: the row after `max_rows` refuses the file. The header row
  `pick`s the columns kept; of a row, only those cells and "is any cell filled" are kept.
- CSV: decoded (UTF-8) and parsed a chunk at a time; a row (record) may not take more than
  MAX_RECORD_CHARS characters (a missing closing quote, usually).
- XLSX: orgs.roster_xlsx (the cells) and orgs.roster_xlsx_package (the zip checked before anything is unpacked, the parts streamed).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from itertools import chain
from typing import IO, Any

MAX_RECORD_CHARS = 100_000
MAX_TEXT_CHARS = 10 * 2**20  # of text kept in all, a 10 MB CSV's worth (see orgs.roster)
CHUNK_BYTES = 64 * 1024

Pick = Callable[[list[Any]], list[int]]  # the header row's values → the positions (0-based) to keep
Row = tuple[list[Any], bool]  # the kept cells' values, and whether any cell of the row is filled


class Refused(Exception):
    """The file cannot be imported. `reason`: unreadable, encoding, empty, rows, record (`row`
    is the row), unpacked, cells or text."""

    def __init__(self, reason: str, row: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.row = row


# --- CSV ---------------------------------------------------------------------------------------


class _Lines:
    """The lines of a UTF-8 stream, each with its "\\n", decoded a chunk at a time. Refuses the
    record being read (`record`, 1 = the header) once its lines pass MAX_RECORD_CHARS."""

    def __init__(self, handle: IO[bytes] | Any) -> None:
        self.handle = handle
        self.record = 1
        self.pending = 0

    def next_record(self) -> None:
        self.record += 1
        self.pending = 0

    def _take(self, line: str) -> str:
        self.pending += len(line)
        if self.pending > MAX_RECORD_CHARS:
            raise Refused("record", self.record)
        return line

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        tail = ""
        while True:
            chunk = self.handle.read(CHUNK_BYTES)
            try:
                text = tail + decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise Refused("encoding") from exc
            start = 0
            while (end := text.find("\n", start)) >= 0:
                yield self._take(text[start : end + 1])
                start = end + 1
            tail = text[start:]
            if self.pending + len(tail) > MAX_RECORD_CHARS:
                raise Refused("record", self.record)
            if not chunk:
                if tail:
                    yield self._take(tail)
                return


def csv_rows(handle: IO[bytes] | Any, pick: Pick, max_rows: int) -> list[Row]:
    """The rows after the header of a CSV in UTF-8 (delimiter: the first line's most frequent
    of , ; and tab)."""
    lines = _Lines(handle)
    stream = iter(lines)
    first = next(stream, None)
    if first is None:
        raise Refused("empty")
    delimiter = max(",;\t", key=first.split("\n", 1)[0].count)
    reader = csv.reader(chain([first], stream), delimiter=delimiter)
    rows: list[Row] = []
    try:
        kept = pick(next(reader))
        lines.next_record()
        for record in reader:
            lines.next_record()
            if len(rows) == max_rows:
                raise Refused("rows")
            width = len(record)
            rows.append(([record[p] if p < width else None for p in kept], any(map(str.strip, record))))
    except csv.Error as exc:
        raise Refused("unreadable") from exc
    return rows
