"""Roster files built to exhaust the server: small uploads that unpack, pad or parse into far more.

Each test builds its file in memory and reads it with `read_roster` under tracemalloc: the import
must be refused (or read only what it should) while the memory it takes stays small. Before the
fix, the 1.8 KB spreadsheet of the first test made the reader allocate 2.5 GB.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from khaibao.core.errors import ServiceError
from khaibao.orgs.models import Member
from khaibao.orgs.roster import RosterRow, read_roster
from khaibao.orgs.tests.helpers import console, upload

PEAK_MAX = 20 * 2**20  # bytes: what reading one file may allocate, whatever the file claims (< 3 MB here)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
HEADER = ["Họ và tên", "Số điện thoại", "Đơn vị", "Vai trò"]

Part = bytes | Callable[[Any], None]  # the bytes of a zip member, or a writer streaming them


def _parts(sheet: Part, strings: Part | None) -> dict[str, Part]:
    types = (
        f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' if strings is not None else "")
        + "</Types>"
    )
    rels = (
        f'{HEAD}<Relationships xmlns="{PKG}"><Relationship Id="rId1" Target="xl/workbook.xml" '
        f'Type="{REL}/officeDocument"/></Relationships>'
    )
    book = (
        f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
        '<sheet name="Danh sách" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    book_rels = (
        f'{HEAD}<Relationships xmlns="{PKG}">'
        f'<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="{REL}/worksheet"/>'
        + (f'<Relationship Id="rId2" Target="sharedStrings.xml" Type="{REL}/sharedStrings"/>' if strings is not None else "")
        + "</Relationships>"
    )
    parts: dict[str, Part] = {
        "[Content_Types].xml": types.encode(), "_rels/.rels": rels.encode(), "xl/workbook.xml": book.encode(),
        "xl/_rels/workbook.xml.rels": book_rels.encode(), "xl/worksheets/sheet1.xml": sheet,
    }
    if strings is not None:
        parts["xl/sharedStrings.xml"] = strings
    return parts


def _xlsx(sheet: Part, strings: Part | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, part in _parts(sheet, strings).items():
            if isinstance(part, bytes):
                archive.writestr(name, part)
            else:
                with archive.open(name, "w", force_zip64=False) as stream:
                    part(stream)
    return out.getvalue()


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet(rows: str, dimension: str) -> bytes:
    return f'{HEAD}<worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'.encode()


_HEAD_SHEET = f'{HEAD}<worksheet xmlns="{MAIN}"><sheetData>'


def _header_row() -> str:
    return '<row r="1">' + "".join(_inline(f"{col}1", title) for col, title in zip("ABCD", HEADER, strict=True)) + "</row>"


def _member_row(number: int) -> str:
    return (
        f'<row r="{number}">{_inline(f"A{number}", "Nguyễn Văn Một")}<c r="B{number}"><v>912345671</v></c>'
        f'{_inline(f"C{number}", "DCS-HK")}{_inline(f"D{number}", "Đoàn viên")}'
        f'{_inline(f"XFD{number}", "ô cuối")}</row>'
    )


def _repeat(chunk: bytes, total: int, head: bytes = b"", tail: bytes = b"") -> Callable[[Any], None]:
    """A writer for `head`, `chunk` repeated (total // len(chunk) times), `tail`: never all in memory."""
    count = total // len(chunk)
    per_block = max(1, (1 << 20) // len(chunk))

    def write(stream: Any) -> None:
        stream.write(head)
        left = count
        while left:
            n = min(left, per_block)
            stream.write(chunk * n)
            left -= n
        stream.write(tail)

    return write


def _read(name: str, data: bytes, language: str = "en") -> tuple[list[RosterRow] | ServiceError, int, float]:
    """What read_roster makes of the file (messages in `language`), the peak memory it
    allocated, and the time it took."""
    handle = io.BytesIO(data)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with translation.override(language):
            result: list[RosterRow] | ServiceError = read_roster(name, handle, len(data))
    except ServiceError as exc:
        result = exc
    finally:
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, peak, elapsed


def _refused(result: Any, code: str) -> ServiceError:
    assert isinstance(result, ServiceError), result if not isinstance(result, list) else f"{len(result)} rows read"
    assert result.code == code, (result.code, result.message)
    assert result.fields["file"] == result.message
    return result


# --- XLSX ------------------------------------------------------------------------------------


def test_a_claimed_width_and_a_far_row_are_refused_without_padding_every_row():
    """The tester's file: A1:XFD30000 claimed, a cell in XFD, a row 30,000. 327 M cells before."""
    rows = _header_row() + _member_row(2) + f'<row r="30000">{_inline("XFD30000", "x")}</row>'
    data = _xlsx(_sheet(rows, "A1:XFD30000"))
    assert len(data) < 2500
    result, peak, _ = _read("bomb.xlsx", data)
    error = _refused(result, "too_many_rows")
    assert "20,000" in error.message
    assert peak < PEAK_MAX, f"{peak / 2**20:.0f} MB"


def test_a_cell_of_millions_of_attributes_is_refused_before_expat_builds_it():
    """The diff review's file: one <c> with 4 M attributes, 9 MB packed at a ratio of 5 (every
    other bound holds): 1,085 MB and 33 s, then 0 rows and no refusal."""
    attributes = "".join(f' a{i}=""' for i in range(400_000))
    rows = _header_row() + f'<row r="2"><c r="A2" t="inlineStr"{attributes}><is><t>x</t></is></c></row>'
    result, peak, _elapsed = _read("attributes.xlsx", _xlsx(_sheet(rows, "A1:D2")))
    _refused(result, "unreadable_file")
    assert peak < PEAK_MAX, f"{peak / 2**20:.0f} MB"


def test_a_tag_of_attributes_holding_a_closing_bracket_is_refused_too():
    """The security retest's file: every attribute value is ">" (allowed in XML), so a bound that
    counted ">" never saw the tag grow: 1 GB and 36 s."""
    attributes = "".join(f' a{i}=">"' for i in range(200_000))
    rows = _header_row() + f'<row r="2"{attributes}>{_inline("A2", "x")}</row>'
    result, peak, _elapsed = _read("brackets.xlsx", _xlsx(_sheet(rows, "A1:D2")))
    _refused(result, "unreadable_file")
    assert peak < PEAK_MAX, f"{peak / 2**20:.0f} MB"


def test_a_zip_whose_end_record_lies_about_its_member_count_is_refused():
    """The security retest: the end record said 5 members, the directory held thousands."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, part in _parts(_sheet(_header_row(), "A1:D1"), None).items():
            archive.writestr(name, part)
        for number in range(1_100):
            archive.writestr(f"x/{number}.xml", b"")
    data = bytearray(buffer.getvalue())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (5).to_bytes(2, "little") * 2
    result, _peak, _elapsed = _read("members.xlsx", bytes(data))
    _refused(result, "unreadable_file")


def test_a_claimed_width_is_ignored_and_only_the_roster_columns_are_read():
    data = _xlsx(_sheet(_header_row() + _member_row(2), "A1:XFD30000"))
    result, peak, _ = _read("wide.xlsx", data)
    assert result == [RosterRow(2, "Nguyễn Văn Một", "0912345671", "DCS-HK", "Đoàn viên")]
    assert peak < PEAK_MAX


def test_a_row_of_half_a_million_cells_is_read_in_bounded_memory(monkeypatch):
    """Real cells, not a claim: one row holding 500,000 empty cells after the roster's four
    (openpyxl held them all, about 300 MB)."""
    monkeypatch.setattr("khaibao.orgs.roster_xlsx_package.MAX_RATIO", 10**9, raising=False)
    member = _member_row(2).replace(_inline("XFD2", "ô cuối"), "").replace("</row>", "")
    head = (_HEAD_SHEET + _header_row() + member).encode()
    cells = _repeat(b'<c r="E2"/>', 500_000 * 11, head=head, tail=b"</row></sheetData></worksheet>")
    result, peak, _ = _read("cells.xlsx", _xlsx(cells))
    assert result == [RosterRow(2, "Nguyễn Văn Một", "0912345671", "DCS-HK", "Đoàn viên")]
    assert peak < PEAK_MAX, f"{peak / 2**20:.0f} MB"


def _strings_sheet() -> bytes:
    """A header and one member, every text a shared string (0–3 the header, 4–6 the member)."""
    cells = [f'<c r="{col}1" t="s"><v>{i}</v></c>' for i, col in enumerate("ABCD")]
    member = ['<c r="A2" t="s"><v>4</v></c>', '<c r="B2"><v>912345671</v></c>',
              '<c r="C2" t="s"><v>5</v></c>', '<c r="D2" t="s"><v>6</v></c>']
    return (_HEAD_SHEET + '<row r="1">' + "".join(cells) + '</row><row r="2">' + "".join(member)
            + "</row></sheetData></worksheet>").encode()


def _strings_head() -> bytes:
    words = [*HEADER, "Nguyễn Văn Một", "DCS-HK", "Đoàn viên"]
    return (f'{HEAD}<sst xmlns="{MAIN}">' + "".join(f"<si><t>{w}</t></si>" for w in words)).encode()


def test_a_shared_strings_bomb_is_refused_before_it_is_unpacked():
    """Hundreds of MB of shared strings deflated to a few hundred KB: openpyxl loaded them all."""
    strings = _repeat(b"<si><t>ab</t></si>", 200 * 2**20, head=_strings_head(), tail=b"</sst>")
    data = _xlsx(_strings_sheet(), strings)
    assert len(data) < 2 * 2**20
    result, peak, elapsed = _read("strings.xlsx", data)
    error = _refused(result, "unreadable_file")
    assert "50 MB" in error.message
    assert peak < PEAK_MAX, f"{peak / 2**20:.0f} MB"
    assert elapsed < 5


def test_shared_strings_under_the_limits_are_streamed_not_loaded(monkeypatch):
    """Without the size checks, the reader itself keeps only the strings the roster cells use
    (openpyxl kept all 700,000)."""
    monkeypatch.setattr("khaibao.orgs.roster_xlsx_package.MAX_RATIO", 10**9, raising=False)
    monkeypatch.setattr("khaibao.orgs.roster_xlsx_package.MAX_ELEMENTS", 10**9, raising=False)
    strings = _repeat(b"<si><t>ab</t></si>", 12 * 2**20, head=_strings_head(), tail=b"</sst>")
    result, peak, _ = _read("strings.xlsx", _xlsx(_strings_sheet(), strings))
    assert result == [RosterRow(2, "Nguyễn Văn Một", "0912345671", "DCS-HK", "Đoàn viên")]
    assert peak < PEAK_MAX, f"{peak / 2**20:.0f} MB"


def test_a_shared_string_repeated_on_every_row_cannot_multiply_the_text_kept(monkeypatch):
    """One 30,000-character string named by 4 cells of 20,000 rows would be 2.4 G characters."""
    monkeypatch.setattr("khaibao.orgs.roster_xlsx_package.MAX_RATIO", 10**9, raising=False)
    long = "a" * 30_000
    strings = f'{HEAD}<sst xmlns="{MAIN}">' + "".join(f"<si><t>{w}</t></si>" for w in [*HEADER, long]) + "</sst>"
    row = "".join(f'<c t="s"><v>{4}</v></c>' for _ in range(4))
    sheet = _repeat(f"<row>{row}</row>".encode(), 19_000 * len(f"<row>{row}</row>"),
                    head=(_HEAD_SHEET + '<row r="1">' + "".join(f'<c t="s"><v>{i}</v></c>' for i in range(4)) + "</row>").encode(),
                    tail=b"</sheetData></worksheet>")
    result, peak, _ = _read("long.xlsx", _xlsx(sheet, strings.encode()))
    error = _refused(result, "unreadable_file")
    assert "10 MB" in error.message
    assert peak < PEAK_MAX, f"{peak / 2**20:.0f} MB"


def test_too_many_cells_a_highly_compressed_member_too_many_members_and_a_dtd_are_refused(monkeypatch):
    monkeypatch.setattr("khaibao.orgs.roster_xlsx_package.MAX_ELEMENTS", 1000)
    cells = _xlsx(_sheet(_header_row() + '<row r="2">' + '<c r="E2"/>' * 1000 + "</row>", "A1:E2"))
    assert "1,000,000" in _refused(_read("cells.xlsx", cells)[0], "unreadable_file").message
    monkeypatch.undo()

    squeezed = _xlsx(_repeat(b'<c r="E2"/>', 2 * 2**20, head=(_HEAD_SHEET + _header_row() + '<row r="2">').encode(),
                             tail=b"</row></sheetData></worksheet>"))
    assert "50 MB" in _refused(_read("squeezed.xlsx", squeezed)[0], "unreadable_file").message

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, part in _parts(_sheet(_header_row(), "A1:D1"), None).items():
            archive.writestr(name, part if isinstance(part, bytes) else b"")
        for i in range(1500):
            archive.writestr(f"x/{i}", b"")
    result, peak, _ = _read("members.xlsx", out.getvalue())
    assert _refused(result, "unreadable_file").message.startswith("The file could not be read")
    assert peak < 5 * 2**20

    laughs = "".join(f'<!ENTITY l{i + 1} "&l{i};&l{i};&l{i};&l{i};&l{i};&l{i};&l{i};&l{i};&l{i};&l{i};">' for i in range(9))
    dtd = f'{HEAD}<!DOCTYPE worksheet [<!ENTITY l0 "lol">{laughs}]>'.encode()
    sheet = dtd + _sheet(_header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>&l9;</t></is></c></row>', "A1:D2")[len(HEAD.encode()):]
    _refused(_read("laughs.xlsx", _xlsx(sheet))[0], "unreadable_file")


def test_the_streaming_reader_reads_what_openpyxl_read():
    """Shared strings with rich text and phonetic runs, inline strings, numbers, a gap of rows,
    cells without references, a formula's cached value, a row with only a note beyond the roster
    columns (an error row, as before) and one with only a space there (skipped, as before)."""
    strings = (
        f'{HEAD}<sst xmlns="{MAIN}">' + "".join(f"<si><t>{w}</t></si>" for w in HEADER)
        + "<si><r><t>Trần </t></r><r><rPr><b/></rPr><t>Thị Hai</t></r><rPh sb='0' eb='1'><t>x</t></rPh></si>"
        + "<si><t> </t></si><si><t>ghi chú</t></si></sst>"
    )
    rows = (
        '<row r="1">' + "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCD")) + "</row>"
        '<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2"><v>9.12345672E8</v></c>'
        '<c r="C2" t="str"><f>"DCS"&amp;"-BD"</f><v>DCS-BD</v></c><c r="D2" t="inlineStr"><is><t>cán bộ</t></is></c></row>'
        '<row r="5"><c t="inlineStr"><is><t>Lê Ba</t></is></c><c><v>912345673</v></c><c/><c t="inlineStr"><is><t>hoi_vien</t></is></c></row>'
        '<row r="6"><c r="F6" t="s"><v>6</v></c></row>'
        '<row r="7"><c r="F7" t="s"><v>5</v></c></row>'
        '<row><c r="A8" t="inlineStr"><is><t>\'=Bốn</t></is></c><c r="B8" t="b"><v>1</v></c></row>'
    )
    sheet = (_HEAD_SHEET + rows + "</sheetData></worksheet>").encode()
    result, _, _ = _read("mixed.xlsx", _xlsx(sheet, strings.encode()))
    assert result == [
        RosterRow(2, "Trần Thị Hai", "0912345672", "DCS-BD", "cán bộ"),
        RosterRow(5, "Lê Ba", "0912345673", "", "hoi_vien"),
        RosterRow(6, "", "", "", ""),
        RosterRow(8, "=Bốn", "True", "", ""),
    ]


# --- CSV -------------------------------------------------------------------------------------


def test_ten_megabytes_of_newlines_are_refused_while_counting():
    header = "Họ và tên,Số điện thoại\n".encode()
    data = header + b"\n" * (10 * 2**20 - len(header))
    result, peak, elapsed = _read("newlines.csv", data)
    error = _refused(result, "too_many_rows")
    assert "20,000" in error.message
    assert peak < PEAK_MAX, f"{peak / 2**20:.0f} MB"
    assert elapsed < 3


def test_a_ten_megabyte_line_is_refused_with_its_row():
    data = "Họ và tên,Số điện thoại\n".encode() + b"ab," * (3 * 2**20)
    result, peak, _ = _read("wide.csv", data)
    error = _refused(result, "unreadable_file")
    assert error.message.startswith("Row 2 is longer than 100,000 characters")
    assert peak < PEAK_MAX, f"{peak / 2**20:.0f} MB"
    vi = _refused(_read("wide.csv", data, "vi")[0], "unreadable_file")
    assert "100.000" in vi.message
    assert vi.message != error.message


def test_a_missing_closing_quote_is_named_not_a_server_error():
    data = ("Họ và tên,Số điện thoại\nA,0912345671\n" + '"Nguyễn Văn Một,0912345672\n' + "x," * 100_000 + "\n").encode()
    assert _refused(_read("quote.csv", data)[0], "unreadable_file").message.startswith("Row 3 is longer")


def test_the_row_limit_still_counts_blank_rows_and_rows_at_the_limit_are_read(monkeypatch):
    monkeypatch.setattr("khaibao.orgs.roster.MAX_ROWS", 3)
    three = "Họ và tên,Số điện thoại\nA,0912345671\n\nC,0912345673\n".encode()
    assert [r.number for r in read_roster("r.csv", io.BytesIO(three), len(three))] == [2, 4]
    four = three + b"\n"
    _refused(_read("r.csv", four)[0], "too_many_rows")
    xlsx = _xlsx(_sheet(_header_row() + _member_row(2) + _member_row(4), "A1:D4"))
    assert [r.number for r in read_roster("r.xlsx", io.BytesIO(xlsx), len(xlsx))] == [2, 4]
    xlsx = _xlsx(_sheet(_header_row() + _member_row(2) + _member_row(5), "A1:D5"))
    _refused(_read("r.xlsx", xlsx)[0], "too_many_rows")


# --- through the API -------------------------------------------------------------------------


def test_the_api_and_the_console_refuse_the_bomb_on_the_file_field_and_import_nothing(world, api, units, hn_admin):
    rows = _header_row() + _member_row(2) + f'<row r="30000">{_inline("XFD30000", "x")}</row>'
    data = _xlsx(_sheet(rows, "A1:XFD30000"))
    resp = upload(api.as_(hn_admin), units["hn"].pk, SimpleUploadedFile("bomb.xlsx", data))
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "too_many_rows"
    assert "20.000" in error["fields"]["file"]  # Vietnamese by default
    page = console(hn_admin).post(f"/staff/orgs/{units['hn'].pk}/import/", {"file": SimpleUploadedFile("bomb.xlsx", data)})
    assert page.status_code == 400
    assert "20.000" in " ".join(page.context["form"].errors["file"])
    assert not Member.objects.filter(added_by=hn_admin).exists()
