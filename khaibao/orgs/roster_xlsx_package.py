"""An XLSX roster's package, opened within bounds whatever the file claims: the zip is checked
before anything is unpacked (members, unpacked sizes, compression ratios), and its XML parts are
streamed to expat a chunk at a time — no DTD, at most MAX_ELEMENTS elements a part, at most
MAX_RUN_BYTES from one "<" to the next. Finds the first worksheet and the shared strings as openpyxl
does. Reading the cells of those parts into rows is orgs.roster_xlsx's.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
from collections.abc import Iterator
from typing import IO, Any
from xml.parsers import expat

from khaibao.orgs.roster_files import CHUNK_BYTES, Refused

MAX_UNPACKED_BYTES = 50 * 2**20  # an XLSX's members, unpacked: about a 10 MB CSV's data
MAX_RATIO = 100  # unpacked / packed, for a member above RATIO_FROM_BYTES unpacked
RATIO_FROM_BYTES = 2**20
MAX_MEMBERS = 1_000
MAX_CELLS = 1_000_000  # of a sheet, or shared strings: as elements, two a cell (<c><v>)
MAX_ELEMENTS = 2 * MAX_CELLS
# Bytes from one "<" to the next: one tag with its attributes and the text after it. expat builds a
# whole start tag and its attributes' dict before any handler sees it (and re-scans a growing
# token), so one tag of millions of attributes would take a gigabyte within every other bound. Only
# "<" counts: it can stand neither in an attribute value nor in text, while ">" can (a tag of
# `a=">"` attributes passed a bound that counted it). A real tag is short and a cell's text at most
# roster_xlsx.MAX_CELL_CHARS (4 bytes each at worst).
MAX_RUN_BYTES = 256 * 1024

_WORKBOOK_TYPES = tuple(
    f"application/vnd.{kind}.main+xml"
    for kind in (
        "ms-excel.template.macroEnabled", "openxmlformats-officedocument.spreadsheetml.template",
        "ms-excel.sheet.macroEnabled", "openxmlformats-officedocument.spreadsheetml.sheet",
    )
)
_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _check_directory(handle: IO[bytes] | Any) -> None:
    """Refuse a zip with many members before zipfile reads its central directory into objects:
    the end record (found as zipfile finds it, zip64 included) gives their number and size."""
    handle.seek(0, 2)
    size = handle.tell()
    tail_size = min(size, 22 + 2**16)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    handle.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise zipfile.BadZipFile("no end of central directory")
    members, directory = struct.unpack_from("<HI", tail, at + 10)
    if tail[max(at - 20, 0) : max(at - 16, 0)] == b"PK\x06\x07":
        if at < 76:
            raise zipfile.BadZipFile("zip64 end record out of reach")
        members, directory = struct.unpack_from("<QQ", tail, at - 76 + 32)
    if members > MAX_MEMBERS or directory > MAX_MEMBERS * 1024:
        raise zipfile.BadZipFile("too many members")


def xlsx_open(handle: IO[bytes] | Any) -> zipfile.ZipFile:
    _check_directory(handle)
    archive = zipfile.ZipFile(handle)
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:  # the end record's count can lie; the directory read is what counts
        archive.close()
        raise zipfile.BadZipFile("too many members")
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES or any(
        m.file_size > RATIO_FROM_BYTES and m.file_size > MAX_RATIO * m.compress_size for m in members
    ):
        archive.close()
        raise Refused("unpacked")
    return archive


class PartDone(Exception):
    """All that is needed from a part is read."""


def _no_dtd(*_: Any) -> None:
    raise expat.ExpatError("a DTD (entities) in a spreadsheet part")


def parse_part(archive: zipfile.ZipFile, name: str, handler: Any) -> Iterator[None]:
    """Feed part `name` to `handler` (start, and end and chars if it has them) a chunk at a
    time, pausing after each; PartDone ends it. Zipfile unpacks no more than a member's announced
    size, and checks its CRC."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = getattr(handler, "end", None)
    parser.CharacterDataHandler = getattr(handler, "chars", None)
    try:
        with archive.open(name) as stream:
            run = 0  # bytes since the last "<" (MAX_RUN_BYTES), counted before expat reads them
            while chunk := stream.read(CHUNK_BYTES):
                cut = chunk.rfind(b"<")
                run = run + len(chunk) if cut < 0 else len(chunk) - cut - 1
                if run > MAX_RUN_BYTES:
                    raise Refused("cells")
                parser.Parse(chunk, False)
                yield
            parser.Parse(b"", True)
            yield
    except PartDone:
        return


def local_tag(name: str) -> str:
    return name[name.find(":") + 1 :]


class Counted:
    """A handler that refuses a part of more than MAX_ELEMENTS elements."""

    count = 0

    def counted(self) -> None:
        self.count += 1
        if self.count > MAX_ELEMENTS:
            raise Refused("cells")


class _Elements(Counted):
    """Start handler keeping the (tag, attributes) of the elements named `tags`."""

    def __init__(self, *tags: str) -> None:
        self.tags = tags
        self.found: list[tuple[str, dict[str, str]]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.counted()
        if local_tag(name) in self.tags:
            self.found.append((local_tag(name), attrs))


def _elements(archive: zipfile.ZipFile, name: str, *tags: str) -> Iterator[tuple[str, dict[str, str]]]:
    handler = _Elements(*tags)
    for _ in parse_part(archive, name, handler):
        yield from handler.found
        handler.found.clear()


def locate_parts(archive: zipfile.ZipFile) -> tuple[str, str | None]:
    """The first worksheet and the shared strings, found as openpyxl finds them: by content
    type, then the workbook's sheets in order (chartsheets and missing parts skipped)."""
    found: dict[str, str] = {}
    defaults: set[str] = set()
    for tag, attrs in _elements(archive, "[Content_Types].xml", "Default", "Override"):
        kind = attrs.get("ContentType", "")
        if tag == "Default":
            defaults.add(kind)
        elif kind in (*_WORKBOOK_TYPES, _STRINGS_TYPE):
            found.setdefault(kind, attrs.get("PartName", "").lstrip("/"))
    book = next((found[t] for t in _WORKBOOK_TYPES if t in found), None)
    if book is None and not defaults.intersection(_WORKBOOK_TYPES):
        raise KeyError("no workbook part")
    book = book or "xl/workbook.xml"
    sheets: list[str] = []
    for _, attrs in _elements(archive, book, "sheet"):
        sheets.extend(v for k, v in attrs.items() if k.endswith(":id"))
        if len(sheets) >= MAX_MEMBERS:
            break
    folder = posixpath.dirname(book)
    rels: dict[str, tuple[str, str]] = {}
    for _, attrs in _elements(archive, posixpath.join(folder, "_rels", posixpath.basename(book) + ".rels"), "Relationship"):
        if attrs.get("Id") in sheets:
            target = attrs.get("Target", "")
            target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            rels[attrs["Id"]] = (attrs.get("Type", ""), target)
    names = set(archive.namelist())
    sheet = next((rels[i][1] for i in sheets if rels[i][1] in names and "chartsheet" not in rels[i][0]), None)
    if sheet is None:
        raise KeyError("no worksheet")
    return sheet, found.get(_STRINGS_TYPE)
