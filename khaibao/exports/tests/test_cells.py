"""Formula neutralisation and the writers, without a database."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from khaibao.exports.cells import cell_value, csv_cell, neutralise_text
from khaibao.exports.tests.helpers import read_csv, read_xlsx
from khaibao.exports.writers import csv_stream, write_csv, write_xlsx, xlsx_bytes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("=HYPERLINK(\"http://x\",\"bấm vào đây\")", "'=HYPERLINK(\"http://x\",\"bấm vào đây\")"),
        ("+84912345678", "'+84912345678"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("Nguyễn Thị Lan", "Nguyễn Thị Lan"),
        ("Phường Hoàn Kiếm", "Phường Hoàn Kiếm"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("'=1", "'=1"),
        ("", ""),
    ],
)
def test_it_neutralises_text_that_a_spreadsheet_would_run(raw: str, expected: str) -> None:
    assert neutralise_text(raw) == expected
    assert csv_cell(raw) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-3, -3),
        (-2.5, -2.5),
        (0, 0),
        (Decimal("-37.5"), Decimal("-37.5")),
        (True, 1),
        (None, None),
        (date(2026, 2, 1), "01/02/2026"),
        (["sốt", "ho"], "sốt, ho"),
        (["-x"], "'-x"),
    ],
)
def test_it_keeps_numbers_as_numbers(value: Any, expected: Any) -> None:
    assert cell_value(value) == expected


HEADER = ["Họ tên", "Số", "Ghi chú"]
ROWS: list[list[Any]] = [
    ["Nguyễn Văn Bình", -3, "=1+1"],
    ["Đặng Thị Thu", 4.5, "@SUM(A1)"],
    ["Võ Thị Hoa", 0, "+84900000004"],
]


def test_it_writes_csv_with_a_bom_and_neutralised_cells() -> None:
    data = b"".join(csv_stream(HEADER, ROWS))
    assert read_csv(data) == [
        HEADER,
        ["Nguyễn Văn Bình", "-3", "'=1+1"],
        ["Đặng Thị Thu", "4.5", "'@SUM(A1)"],
        ["Võ Thị Hoa", "0", "'+84900000004"],
    ]


def test_it_reports_csv_progress_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from khaibao.exports import writers

    monkeypatch.setattr(writers, "BATCH_ROWS", 2)
    seen: list[int] = []
    out = io.BytesIO()
    assert write_csv(out, HEADER, iter(ROWS * 2), on_progress=seen.append) == 6
    assert seen == [2, 4, 6]


def test_it_writes_xlsx_with_strings_as_strings_and_numbers_as_numbers() -> None:
    rows = read_xlsx(xlsx_bytes(HEADER, ROWS, title="Thống kê: tuần/1"))
    assert rows[0] == HEADER
    assert rows[1] == ["Nguyễn Văn Bình", -3, "'=1+1"]
    assert rows[2] == ["Đặng Thị Thu", 4.5, "'@SUM(A1)"]
    assert rows[3] == ["Võ Thị Hoa", 0, "'+84900000004"]


def test_it_never_writes_a_formula_into_xlsx(tmp_path: Any) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "x.xlsx"
    with open(path, "wb") as out:
        write_xlsx(out, ["a"], [["=1+1"], ["\x07bell"]])
    sheet = load_workbook(path).worksheets[0]
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == "'=1+1"
    assert sheet["A3"].value == "bell"
