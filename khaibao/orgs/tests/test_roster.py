from __future__ import annotations

from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.orgs.models import Member, OrgUnit
from khaibao.orgs.tests.helpers import console, csv_file, read_error_csv, upload, xlsx_file


def _active(unit: OrgUnit) -> list[Member]:
    return list(Member.objects.filter(unit=unit, removed_at__isnull=True).order_by("full_name"))


def test_it_imports_valid_rows_and_returns_every_bad_row_with_its_reason(world, api, units, hn_admin):
    client = api.as_(hn_admin)
    rows = [
        ["Nguyễn Văn Một", "0912 345 671", "DCS-HK", "Đoàn viên"],  # ok, code + label with diacritics
        ["Trần Thị Hai", "+84912345672", "TWD/HN/DCS-BD", "cong chuc/vien chuc"],  # ok, path + no diacritics
        ["Lê Ba", "0912345673", "", "hoi_vien"],  # ok, empty unit = HN, role code
        ["", "0912345674", "DCS-HK", "đoàn viên"],  # no name
        ["12345", "0912345675", "DCS-HK", "đoàn viên"],  # name without letters
        ["Phạm Bốn", "12ab", "DCS-HK", "đoàn viên"],  # bad phone
        ["Phạm Năm", "0912345676", "HCM", "đoàn viên"],  # unit outside the admin's subtree
        ["Phạm Sáu", "0912345677", "TWD", "đoàn viên"],  # the parent: outside too
        ["Phạm Bảy", "0912345678", "DCS-HK", "giám đốc"],  # unknown role
        ["=HYPERLINK(\"http://evil\")", "0912345679", "DCS-HK", "đoàn viên"],  # symbols: not a name (issue 17)
        ["Bản Sao", "0912345671", "DCS-BD", "đoàn viên"],  # same phone as row 2 of the file
        ["Tên\u200bẨn", "0912345680", "DCS-HK", "đoàn viên"],  # zero-width character
    ]
    resp = upload(client, units["hn"].pk, csv_file(rows))
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (3, 0, 0)
    assert body["errors"] == 9
    assert [e["row"] for e in body["error_rows"]] == [5, 6, 7, 8, 9, 10, 11, 12, 13]
    names = {m.full_name for m in Member.objects.filter(added_by=hn_admin)}
    assert names == {"Nguyễn Văn Một", "Trần Thị Hai", "Lê Ba"}
    assert Member.objects.get(full_name="Trần Thị Hai").role == "cong_chuc_vien_chuc"
    assert Member.objects.get(full_name="Lê Ba").unit == units["hn"]

    errors = client.get(body["error_file_url"])
    assert errors.status_code == 200
    assert errors["Content-Type"].startswith("text/csv")
    table = read_error_csv(errors.content)
    assert len(table) == 1 + 9
    by_row = {line[0]: line for line in table[1:]}
    assert set(by_row) == {"5", "6", "7", "8", "9", "10", "11", "12", "13"}
    assert by_row["11"][1] == "'=HYPERLINK(\"http://evil\")"  # kept, neutralised, in the error file
    assert by_row["7"][2] == "12ab"
    assert by_row["10"][4] == "giám đốc"
    assert by_row["12"][2] == "0912345671"
    assert "2" in by_row["12"][5]
    assert by_row["8"][3] == "HCM"
    assert by_row["9"][3] == "TWD"
    assert all(line[5] for line in table[1:])
    # The error file is only for the admin who uploaded it.
    assert api.as_(world.org_admin).get(body["error_file_url"]).status_code == 404
    assert AuditEvent.objects.filter(action="orgs.roster_import", actor=hn_admin).count() == 1


def test_it_neutralises_formulas_in_the_error_file(world, api, units, hn_admin):
    client = api.as_(hn_admin)
    resp = upload(client, units["hn"].pk, csv_file([["=1+1", "@SUM(A1)", "+cmd", "-2"]]))
    table = read_error_csv(client.get(resp.json()["error_file_url"]).content)
    assert table[1][1:5] == ["'=1+1", "'@SUM(A1)", "'+cmd", "'-2"]


def test_it_reimports_without_duplicating_and_moves_a_member_between_units(world, api, units, hn_admin):
    client = api.as_(hn_admin)
    rows = [["Nguyễn Văn Một", "0912345671", "DCS-HK", "đoàn viên"], ["Trần Thị Hai", "0912345672", "DCS-HK", "cán bộ"]]
    first = upload(client, units["hn"].pk, csv_file(rows)).json()
    assert (first["created"], first["updated"], first["unchanged"], first["errors"]) == (2, 0, 0, 0)
    assert first["error_file_url"] is None
    again = upload(client, units["hn"].pk, csv_file(rows)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = [["Nguyễn Văn Một Sửa", "0912345671", "DCS-HK", "cán bộ"], ["Trần Thị Hai", "0912345672", "DCS-BD", "cán bộ"]]
    third = upload(client, units["hn"].pk, csv_file(changed)).json()
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 2, 0)
    assert Member.objects.filter(phone_index=phone_index("+84912345671")).count() == 1
    one = Member.objects.get(phone_index=phone_index("+84912345671"))
    assert (one.full_name, one.role, one.unit) == ("Nguyễn Văn Một Sửa", "can_bo", units["hk"])
    two = Member.objects.get(phone_index=phone_index("+84912345672"))
    assert two.unit == units["bd"]
    assert two.removed_at is None


def test_it_reads_xlsx_with_phones_stored_as_numbers(world, api, units, hn_admin):
    client = api.as_(hn_admin)
    resp = upload(client, units["hn"].pk, xlsx_file([["Nguyễn Văn Số", 912345681, "DCS-BD", "Người lao động"]]))
    assert resp.status_code == 200, resp.content
    assert resp.json()["created"] == 1
    member = Member.objects.get(phone_index=phone_index("+84912345681"))
    assert member.role == "nguoi_lao_dong"
    assert member.unit == units["bd"]


def test_it_refuses_files_it_cannot_import(world, api, units, hn_admin, settings, monkeypatch):
    client = api.as_(hn_admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad_type = upload(client, units["hn"].pk, SimpleUploadedFile("roster.txt", b"a,b"))
    assert bad_type.status_code == 400
    assert "file" in bad_type.json()["error"]["fields"]
    no_header = upload(client, units["hn"].pk, csv_file([["x", "y"]], header=["a", "b"]))
    assert no_header.status_code == 400
    assert no_header.json()["error"]["code"] == "bad_header"
    broken = upload(client, units["hn"].pk, SimpleUploadedFile("roster.xlsx", b"not a zip"))
    assert broken.status_code == 400
    latin = upload(client, units["hn"].pk, SimpleUploadedFile("roster.csv", b"H\xe4 t\xean,S\xf4\n"))
    assert latin.status_code == 400
    monkeypatch.setattr("khaibao.orgs.roster.MAX_ROWS", 2)
    many = upload(client, units["hn"].pk, csv_file([["A", "0912345671"], ["B", "0912345672"], ["C", "0912345673"]]))
    assert many.status_code == 400
    assert many.json()["error"]["code"] == "too_many_rows"
    assert not Member.objects.filter(added_by=hn_admin).exists()


def test_it_accepts_a_roster_larger_than_the_general_api_body_limit(world, api, units, hn_admin, settings):
    settings.API_MAX_BODY_BYTES = 1024
    rows = [[f"Người Thứ {chr(0x41 + i % 26)}", f"09123{i:05d}", "DCS-HK", "đoàn viên"] for i in range(100)]
    resp = upload(api.as_(hn_admin), units["hn"].pk, csv_file(rows))
    assert resp.status_code == 200, resp.content
    assert resp.json()["created"] == 100
    assert api.as_(hn_admin).post(f"/orgs/{units['hn'].pk}/units", {"code": "X", "name": "x" * 2000}).status_code == 413


def test_it_imports_from_the_console_and_offers_the_error_file(world, units, hn_admin):
    page = console(hn_admin)
    rows = [["Nguyễn Văn Một", "0912345671", "DCS-HK", "đoàn viên"], ["Sai", "000", "DCS-HK", "đoàn viên"]]
    resp = page.post(f"/staff/orgs/{units['hn'].pk}/import/", {"file": csv_file(rows)})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert '<dd class="created">1</dd>' in html
    assert '<dd class="errors-count">1</dd>' in html
    import_id = resp.context["result"].record.pk
    download = page.get(f"/staff/orgs/imports/{import_id}/errors.csv")
    assert download.status_code == 200
    assert "000" in download.content.decode("utf-8-sig")
    assert console(world.org_admin).get(f"/staff/orgs/imports/{import_id}/errors.csv").status_code == 404


def test_it_adds_and_removes_members_by_hand(world, units, hn_admin):
    page = console(hn_admin)
    resp = page.post(f"/staff/orgs/{units['bd'].pk}/do/member/", {"full_name": "Hoàng Thị Tay", "phone": "0912345690", "role": "hoi_vien"})
    assert resp.status_code == 302
    member = Member.objects.get(full_name="Hoàng Thị Tay")
    again = page.post(f"/staff/orgs/{units['bd'].pk}/do/member/", {"full_name": "Khác", "phone": "0912345690", "role": "other"})
    assert again.status_code == 400
    bad = page.post(f"/staff/orgs/{units['bd'].pk}/do/member/", {"full_name": "   ", "phone": "abc", "role": "other"})
    assert bad.status_code == 400
    assert Member.objects.filter(unit=units["bd"]).count() == 3
    assert page.get(f"/staff/orgs/members/{member.pk}/remove/").status_code == 200  # the confirmation page
    assert page.post(f"/staff/orgs/members/{member.pk}/remove/", {"confirmed": "1"}).status_code == 302
    member.refresh_from_db()
    assert member.removed_at is not None
    assert "Hoàng Thị Tay" not in page.get(f"/staff/orgs/{units['bd'].pk}/").content.decode()
    # Removed, the phone may be added again (a new roster line).
    assert page.post(f"/staff/orgs/{units['bd'].pk}/do/member/", {"full_name": "Hoàng Thị Tay", "phone": "0912345690", "role": "hoi_vien"}).status_code == 302
    # A member outside the admin's subtree cannot be removed.
    outsider = Member.objects.create(unit=units["hcm"], full_name="Ngoài", phone="+84912345691", phone_index=phone_index("+84912345691"))
    assert page.get(f"/staff/orgs/members/{outsider.pk}/remove/").status_code == 404
    assert page.post(f"/staff/orgs/members/{outsider.pk}/remove/", {"confirmed": "1"}).status_code == 404


def test_it_writes_the_row_limit_the_way_each_language_does(world, units, hn_admin):
    """Issue 17: "Tối đa 20,000 dòng" — Vietnamese groups thousands with a dot."""
    page = console(hn_admin)
    vi = page.get(f"/staff/orgs/{units['hn'].pk}/import/").content.decode()
    assert "20.000" in vi
    assert "20,000" not in vi
    en = page.get(f"/staff/orgs/{units['hn'].pk}/import/", headers={"Accept-Language": "en"}).content.decode()
    assert "20,000" in en
