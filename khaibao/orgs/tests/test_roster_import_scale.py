"""A roster import at scale (review P1-1): the statements it sends do not grow with the rows, it
locks only the roster lines whose phones are in the file, and its rules hold across batches.

Before the fix an import sent one INSERT per row, scanned the subtree's unit list per row and
locked every active line of the subtree: 20,000 rows into a province took 27.8 s and 20,004
queries, and confirmations anywhere in that subtree waited for it (503 at the 2 s lock limit).
"""

from __future__ import annotations

import csv
import io
import threading
from typing import Any

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from khaibao.accounts.models import Account
from khaibao.accounts.phones import phone_index
from khaibao.orgs import roster_import
from khaibao.orgs.models import Member, OrgUnit
from khaibao.orgs.tests.helpers import HEADER

ROWS_PER_EXTRA_QUERY = 20  # far above one statement per batch; one per row (before) is far below


def _file(rows: list[list[str]]) -> tuple[io.BytesIO, int]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    data = out.getvalue().encode()
    return io.BytesIO(data), len(data)


def _import(admin: Account, unit: OrgUnit, rows: list[list[str]]) -> roster_import.RosterResult:
    handle, size = _file(rows)
    return roster_import.roster_import(actor=admin, unit=unit, filename="roster.csv", handle=handle, size=size)


def _counted(admin: Account, unit: OrgUnit, rows: list[list[str]]) -> tuple[roster_import.RosterResult, int]:
    with CaptureQueriesContext(connection) as queries:
        result = _import(admin, unit, rows)
    return result, len(queries)


def _line(unit: OrgUnit, name: str, phone: str, **extra: Any) -> Member:
    e164 = "+84" + phone[1:]
    return Member.objects.create(unit=unit, full_name=name, phone=e164, phone_index=phone_index(e164), **extra)


def _roster(n: int, prefix: str, codes: list[str], *, changed: bool = False) -> list[list[str]]:
    rows = []
    for i in range(n):
        code = codes[i % len(codes)]
        name = f"Người Thứ {chr(0x41 + i % 26)}{chr(0x41 + i // 26 % 26)}"
        if changed and i % 2:
            code, name = codes[(i + 1) % len(codes)], name + " Mới"  # half move, renamed
        rows.append([name, f"09{prefix}{i:06d}", code, "đoàn viên"])
    return rows


def test_the_queries_of_an_import_do_not_grow_with_its_rows(world, units, hn_admin):
    codes = ["DCS-HK", "DCS-BD", "", "TWD/HN/DCS-BD"]
    counts: dict[int, tuple[int, int]] = {}
    for n, prefix in ((200, "11"), (2000, "22")):
        created, first = _counted(hn_admin, units["hn"], _roster(n, prefix, codes))
        assert (created.created, created.updated, created.unchanged, created.errors) == (n, 0, 0, [])
        changed, second = _counted(hn_admin, units["hn"], _roster(n, prefix, codes, changed=True))
        assert (changed.created, changed.updated, changed.unchanged, changed.errors) == (0, n // 2, n - n // 2, [])
        counts[n] = (first, second)
    more_rows = 2000 - 200
    assert counts[2000][0] - counts[200][0] < more_rows / ROWS_PER_EXTRA_QUERY, counts
    assert counts[2000][1] - counts[200][1] < more_rows / ROWS_PER_EXTRA_QUERY, counts
    moved = Member.objects.get(phone_index=phone_index("+84922000001"))
    assert (moved.unit, moved.full_name) == (units["hn"], "Người Thứ BA Mới")  # from DCS-BD
    assert Member.objects.filter(phone_index=phone_index("+84922000001")).count() == 1


def test_every_rule_holds_across_batches(world, units, hn_admin, monkeypatch):
    """The rules of test_roster.py with batches of two rows, phones and unit names (so each of
    them spans several statements)."""
    monkeypatch.setattr(roster_import, "_BATCH", 2, raising=False)
    hk, bd, hn = units["hk"], units["bd"], units["hn"]
    OrgUnit.objects.create(code="DUP", name="Trùng 1", parent=hk)
    OrgUnit.objects.create(code="DUP", name="Trùng 2", parent=bd)
    OrgUnit.objects.create(code="ARC", name="Đã lưu trữ", parent=hn, archived_at=timezone.now())
    moves = _line(hk, "Một", "0913000001", role="doan_vien")
    twice_hk = _line(hk, "Hai", "0913000002", role="doan_vien")
    twice_bd = _line(bd, "Hai", "0913000002", role="doan_vien")
    same = _line(bd, "Ba", "0913000003", role="doan_vien")
    outside = _line(units["hcm"], "Bốn", "0913000004", role="doan_vien")
    removed = _line(hk, "Năm", "0913000005", role="doan_vien", removed_at=timezone.now())
    renamed = _line(hk, "Sáu", "0913000006", role="doan_vien")
    untouched = _line(hk, "Bảy", "0913000007", role="doan_vien")
    rows = [
        ["Một", "0913000001", "DCS-BD", "đoàn viên"],  # 2: moves from HK to BD
        ["Hai", "0913000002", "", "đoàn viên"],  # 3: two lines in the subtree, none in HN: a new one
        ["Ba", "0913000003", "TWD/HN/DCS-BD/", "đoàn viên"],  # 4: unchanged (a trailing slash)
        ["Bốn", "0913000004", "DCS-HK", "đoàn viên"],  # 5: the line in HCM is outside: a new one
        ["Năm", "0913000005", "DCS-HK", "đoàn viên"],  # 6: the removed line stays removed: a new one
        ["Sáu Mới", "0913000006", "DCS-HK", "cán bộ"],  # 7: updated
        ["Lại Một", "0913000001", "DCS-HK", "đoàn viên"],  # 8: the phone of row 2
        ["Tám", "0913000008", "DUP", "đoàn viên"],  # 9: two units have this code
        ["Chín", "0913000009", "TWD/HN/DCS-BD/DUP", "đoàn viên"],  # 10: by path: created
        ["Mười", "0913000010", "ARC", "đoàn viên"],  # 11: archived
        ["Mười Một", "0913000011", "HCM", "đoàn viên"],  # 12: outside the subtree
        ["Mười Hai", "0913000012", "KHONG-CO", "đoàn viên"],  # 13: no such unit
        ["Mười Ba", "0913000013", "TWD/HN", "hội viên"],  # 14: the root by its path: created
        ["Mười Bốn", "0913000014", "HN", "đoàn viên"],  # 15: the root by its code: created
    ]
    with translation.override("en"):
        result = _import(hn_admin, hn, rows)
    assert (result.created, result.updated, result.unchanged) == (6, 2, 1)
    reasons = {row.number: reason for row, reason in result.errors}
    assert reasons == {
        8: "The same phone is already on row 2 of this file.",
        9: "Several units have this code; write the unit's path instead.",
        11: "This unit is archived.",
        12: "This unit is not in your organisation.",
        13: "This unit is not in your organisation.",
    }
    moves.refresh_from_db()
    renamed.refresh_from_db()
    assert (moves.unit, moves.full_name) == (bd, "Một")
    assert (renamed.unit, renamed.full_name, renamed.role) == (hk, "Sáu Mới", "can_bo")
    for line in (twice_hk, twice_bd, same, outside, untouched):
        before = (line.unit_id, line.full_name, line.role, line.removed_at)
        line.refresh_from_db()
        assert (line.unit_id, line.full_name, line.role, line.removed_at) == before
    assert Member.objects.get(phone_index=removed.phone_index, removed_at__isnull=True).unit == hk
    assert Member.objects.get(phone_index=twice_hk.phone_index, unit=hn).added_by == hn_admin
    assert Member.objects.get(phone_index=phone_index("+84913000009")).unit.path == "TWD/HN/DCS-BD/DUP"
    assert {m.unit for m in Member.objects.filter(full_name__in=["Mười Ba", "Mười Bốn"])} == {hn}
    assert result.record is not None
    assert result.record.errors == 5
    again = _import(hn_admin, hn, rows)
    assert (again.created, again.updated, again.unchanged, len(again.errors)) == (0, 0, 9, 5)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_locks_only_the_lines_whose_phones_are_in_its_file(world, units, hn_admin, monkeypatch):
    """While the import's transaction holds its locks, another line of the subtree can be locked
    (a confirmation, a sign-in's link) and a member added by hand: only the file's lines wait."""
    in_file = _line(units["bd"], "Trong Tệp", "0914000001", role="doan_vien")
    other = _line(units["hk"], "Ngoài Tệp", "0914000002", role="doan_vien")
    seen: dict[str, str] = {}

    def try_lock(pk: int) -> str:
        try:
            with transaction.atomic():
                Member.objects.select_for_update(nowait=True).filter(pk=pk).first()
            return "free"
        except DatabaseError:
            return "locked"

    def add_by_hand() -> str:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                    # Django's foreign keys are checked at commit: check them now (the unit rows' locks).
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for unit in (units["hn"], units["hk"]):
                    _line(unit, "Thêm Tay", "0914000003", role="doan_vien")
                transaction.set_rollback(True)
            return "added"
        except DatabaseError:
            return "waited"

    def elsewhere() -> None:
        try:
            seen["in_file"], seen["other"], seen["add"] = try_lock(in_file.pk), try_lock(other.pk), add_by_hand()
        finally:
            connections.close_all()

    original = roster_import.audit_record

    def audit_while_locked(**kwargs: Any) -> Any:  # inside the import's transaction, after its writes
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join(timeout=30)
        return original(**kwargs)

    monkeypatch.setattr(roster_import, "audit_record", audit_while_locked)
    result = _import(hn_admin, units["hn"], [["Trong Tệp Mới", "0914000001", "DCS-BD", "đoàn viên"]])
    assert result.updated == 1
    assert seen == {"in_file": "locked", "other": "free", "add": "added"}
