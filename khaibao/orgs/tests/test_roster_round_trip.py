"""Issue 21: the error file re-imports as it is once corrected; member phones are mobiles
(hotlines and landlines refused, each with its own message); numbers in Vietnamese text."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from khaibao.accounts.phones import normalise_vn_phone
from khaibao.orgs.models import Member
from khaibao.orgs.tests.helpers import console, csv_file, read_error_csv, upload, xlsx_file


def _as_upload(table: list[list[str]], name: str = "roster-errors.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out).writerows(table)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def test_the_error_file_reimports_as_it_is_once_corrected(world: Any, api: Any, units: Any, hn_admin: Any) -> None:
    client = api.as_(hn_admin)
    rows = [
        ["Nguyễn Văn Một", "+84912345671", "DCS-HK", "Đoàn viên"],  # fine
        ["Trần Thị Hai", "+84912345672", "KHONG-CO", "Đoàn viên"],  # unknown unit; +84 phone
        ["Lê Văn Ba", "+84912345673", "DCS-HK", "Phi công"],  # unknown role; +84 phone
        ["Phạm Thị Tư", "19001234", "DCS-HK", "Đoàn viên"],  # a hotline
    ]
    first = upload(client, units["hn"].pk, csv_file(rows)).json()
    assert (first["created"], first["errors"]) == (1, 3)
    table = read_error_csv(client.get(first["error_file_url"]).content)
    # The +84 phones are neutralised in the file (a spreadsheet would read "+…" as a formula).
    assert [line[2] for line in table[1:3]] == ["'+84912345672", "'+84912345673"]

    # The admin corrects the unit, the role and the phone in the file and uploads it as it is
    # (its Row and Reason columns included).
    table[1][3] = "DCS-BD"
    table[2][4] = "Cán bộ"
    table[3][2] = "0912345674"
    second = upload(client, units["hn"].pk, _as_upload(table)).json()
    assert (second["created"], second["errors"]) == (3, 0), second
    phones = {m.full_name: m.phone for m in Member.objects.filter(added_by=hn_admin)}
    assert phones == {
        "Nguyễn Văn Một": "+84912345671", "Trần Thị Hai": "+84912345672",
        "Lê Văn Ba": "+84912345673", "Phạm Thị Tư": "+84912345674",
    }
    # The same from XLSX, where a spreadsheet keeps the apostrophe in the cell text.
    again = upload(client, units["hn"].pk, xlsx_file([["Nguyễn Văn Một", "'+84912345671", "DCS-HK", "Đoàn viên"]])).json()
    assert (again["unchanged"], again["errors"]) == (1, 0)


@pytest.mark.parametrize("phone", ["19001234", "1900 9095", "18001234", "1800 1091", "+841900123456"])
def test_a_hotline_is_refused_with_its_own_message(world: Any, api: Any, units: Any, hn_admin: Any, phone: str) -> None:
    with translation.override("vi"):
        resp = upload(api.as_(hn_admin), units["hn"].pk, csv_file([["Phạm Thị Tư", phone, "", ""]]))
    reason = resp.json()["error_rows"][0]["reason"]
    assert "tổng đài" in reason or "hotline" in reason
    page = console(hn_admin).post(
        f"/staff/orgs/{units['hn'].pk}/do/member/", {"full_name": "Phạm Thị Tư", "phone": phone, "role": "other"},
    )
    assert page.status_code == 400
    assert "tổng đài" in page.content.decode()
    assert not Member.objects.filter(full_name="Phạm Thị Tư").exists()


def test_landlines_and_hotlines_each_say_what_is_wrong() -> None:
    from django.core.exceptions import ValidationError

    codes = {}
    for raw in ("02438251234", "19001234", "12ab", "0912345678"):
        try:
            normalise_vn_phone(raw)
            codes[raw] = "ok"
        except ValidationError as exc:
            codes[raw] = exc.code
    assert codes == {"02438251234": "landline", "19001234": "service_number", "12ab": "invalid", "0912345678": "ok"}


def test_the_compliance_numbers_are_written_the_vietnamese_way(world: Any, units: Any, hn_admin: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from khaibao.orgs.models import Campaign, UnitComplianceRollup

    d = timezone.localdate()
    campaign = Campaign.objects.create(unit=units["hn"], name="100%", starts_on=d, deadline=d + timedelta(days=3))
    UnitComplianceRollup.objects.create(
        campaign=campaign, unit=units["hn"], day=d, refreshed_at=timezone.now(),
        members=20_000, confirmed=12_345, declared=6_000, updated_today=4_000,
    )
    page = console(hn_admin).get(f"/staff/compliance/{units['hn'].pk}/", headers={"Accept-Language": "vi"}).content.decode()
    assert "20.000" in page
    assert "12.345" in page
    assert "48,6%" in page  # 6,000 / 12,345
    assert "20,000" not in page
