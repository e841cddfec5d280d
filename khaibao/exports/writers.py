"""CSV and XLSX writers. Every cell goes through cells.cell_value (formula neutralisation).

Rows arrive as an iterator and are written as they come, so a large export never holds the
whole table in memory: CSV line by line, XLSX through openpyxl's write-only mode.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from khaibao.exports.cells import cell_value, csv_cell

# Excel opens a CSV as the local ANSI code page unless it starts with a byte-order mark.
BOM = "\ufeff"
BATCH_ROWS = 500
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

Progress = Callable[[int], None]
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class _Line:
    """A file-like sink for csv.writer that hands back each formatted line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield BOM + writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([csv_cell(v) for v in row])


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """UTF-8 (with BOM) CSV, one chunk per line — for StreamingHttpResponse."""
    for line in csv_lines(header, rows):
        yield line.encode("utf-8")


def write_csv(
    out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]], *, on_progress: Progress | None = None
) -> int:
    """Write the CSV to `out`; returns the number of data rows. Calls `on_progress` per batch."""
    count = -1  # the header is not a row
    for line in csv_lines(header, rows):
        out.write(line.encode("utf-8"))
        count += 1
        if on_progress is not None and count and count % BATCH_ROWS == 0:
            on_progress(count)
    return max(count, 0)


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    cleaned = cell_value(value)
    if isinstance(cleaned, str):
        # openpyxl refuses control characters; a spreadsheet cannot hold them anyway.
        cleaned = ILLEGAL_CHARACTERS_RE.sub("", cleaned)
    cell = WriteOnlyCell(sheet, value=cleaned)
    if isinstance(cleaned, str):
        # Never let openpyxl guess: a string is stored as a string, not a formula.
        cell.data_type = "s"
    return cell


def write_xlsx(
    out: IO[bytes] | str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Export",
    on_progress: Progress | None = None,
) -> int:
    """Write a one-sheet workbook to `out`; returns the number of data rows."""
    book = Workbook(write_only=True)
    safe_title = _SHEET_TITLE_FORBIDDEN.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", title)).strip()[:31]
    sheet = book.create_sheet(title=safe_title or "Export")
    sheet.append([_xlsx_cell(sheet, h) for h in header])
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
        count += 1
        if on_progress is not None and count % BATCH_ROWS == 0:
            on_progress(count)
    book.save(out)
    return count


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Export") -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, header, rows, title=title)
    return buffer.getvalue()


def chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
