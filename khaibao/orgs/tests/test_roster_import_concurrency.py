"""Roster imports side by side: into disjoint subtrees (two provinces of one organisation) they run
at the same time; into overlapping ones (a unit and one below it) one after the other. While an
import writes, only the roster lines it changes are locked.

Before, every import locked its unit and every unit above it FOR NO KEY UPDATE, so all the imports
of an organisation met at its top unit and ran one at a time; and it locked every line whose phone
was in its file, so a citizen signing in with one of them waited for the whole import.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, connections
from django.utils import timezone

from khaibao.accounts.models import Account, Role
from khaibao.accounts.phones import phone_index
from khaibao.orgs import members, roster_import
from khaibao.orgs.models import Member, OrgUnit, RosterImport
from khaibao.orgs.services import unit_create, unit_move
from khaibao.orgs.tests.helpers import HEADER


def _import(admin: Account, unit: OrgUnit, rows: list[list[str]]) -> roster_import.RosterResult:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    data = out.getvalue().encode()
    return roster_import.roster_import(actor=admin, unit=unit, filename="roster.csv", handle=io.BytesIO(data), size=len(data))


def _line(unit: OrgUnit, name: str, phone: str) -> Member:
    e164 = "+84" + phone[1:]
    return Member.objects.create(unit=unit, full_name=name, phone=e164, phone_index=phone_index(e164), role="doan_vien")


def _counts(result: roster_import.RosterResult) -> tuple[int, int, int, int]:
    return result.created, result.updated, result.unchanged, len(result.errors)


def _on_its_own_connection(work: Callable[[], Any], seen: dict[str, Any], key: str, *, wait: str) -> threading.Thread:
    """`work` in a thread with its own connection, which waits at most `wait` for a lock: its
    result (or "waited" if a lock held it longer) lands in `seen[key]`."""

    def run() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{wait}'")
            seen[key] = work()
        except DatabaseError:
            seen[key] = "waited"
        finally:
            seen[key + "_at"] = time.monotonic()
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _while_open(monkeypatch: Any, unit: OrgUnit, during: Callable[[], None]) -> None:
    """Run `during` inside the transaction of the next import into `unit`, after all its writes
    (the audit event is its last statement), once."""
    original = roster_import.audit_record
    fired: list[bool] = []

    def audit_while_open(**kwargs: Any) -> Any:
        if kwargs["action"] == "orgs.roster_import" and kwargs["data"]["unit_id"] == unit.pk and not fired:
            fired.append(True)
            during()
        return original(**kwargs)

    monkeypatch.setattr(roster_import, "audit_record", audit_while_open)


@pytest.fixture
def hcm_admin(units: dict[str, OrgUnit]) -> Account:
    return Account.objects.create_user("hcm-admin", "pw-hcm-admin-2026", role=Role.ORG_ADMIN, org_unit=units["hcm"])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_into_another_province_does_not_wait(world, units, hn_admin, hcm_admin, monkeypatch):
    seen: dict[str, Any] = {}

    def other_province() -> None:
        work = lambda: _counts(_import(hcm_admin, units["hcm"], [["Ở Sài Gòn", "0915000002", "", "đoàn viên"]]))  # noqa: E731
        _on_its_own_connection(work, seen, "hcm", wait="1s").join(timeout=30)

    _while_open(monkeypatch, units["hn"], other_province)
    result = _import(hn_admin, units["hn"], [["Ở Hà Nội", "0915000001", "DCS-HK", "đoàn viên"]])
    assert _counts(result) == (1, 0, 0, 0)
    assert seen["hcm"] == (1, 0, 0, 0)  # finished while Hà Nội's import was still open
    assert Member.objects.get(phone_index=phone_index("+84915000001")).unit == units["hk"]
    assert Member.objects.get(phone_index=phone_index("+84915000002")).unit == units["hcm"]
    assert RosterImport.objects.filter(unit__in=[units["hn"], units["hcm"]]).count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("first", "second"), [("hn", "hk"), ("hk", "hn")])
def test_imports_into_a_unit_and_one_below_it_run_one_after_the_other(world, units, hn_admin, monkeypatch, first, second):
    """The second import waits for the first to commit and then reads what it wrote: the line the
    first put in place is the one the second updates (read before that commit, the second import
    would have found no line there and added another one)."""
    phone = "0915000011"
    if first == "hn":  # a line in DCS-BD moved into DCS-HK, then renamed there
        _line(units["bd"], "Nguyễn Văn Chuyển", phone)
        rows = {"hn": [["Nguyễn Văn Chuyển", phone, "DCS-HK", "đoàn viên"]], "hk": [["Nguyễn Văn Chuyển Mới", phone, "", "cán bộ"]]}
        expected = {"first": (0, 1, 0, 0), "second": (0, 1, 0, 0), "unit": units["hk"]}
    else:  # a line added in DCS-HK, then moved to DCS-BD
        rows = {"hk": [["Nguyễn Văn Chuyển", phone, "", "đoàn viên"]], "hn": [["Nguyễn Văn Chuyển Mới", phone, "DCS-BD", "cán bộ"]]}
        expected = {"first": (1, 0, 0, 0), "second": (0, 1, 0, 0), "unit": units["bd"]}
    seen: dict[str, Any] = {}
    held: dict[str, float] = {}

    def the_second() -> None:
        work = lambda: _counts(_import(hn_admin, units[second], rows[second]))  # noqa: E731
        seen["thread"] = _on_its_own_connection(work, seen, "second", wait="20s")
        time.sleep(1.5)
        held["until"] = time.monotonic()

    _while_open(monkeypatch, units[first], the_second)
    result = _import(hn_admin, units[first], rows[first])
    seen["thread"].join(timeout=30)
    assert seen["second_at"] >= held["until"]  # it finished only after the first committed
    assert _counts(result) == expected["first"]
    assert seen["second"] == expected["second"]
    lines = list(Member.objects.filter(phone_index=phone_index("+84" + phone[1:])).values_list("unit", "full_name", "role"))
    assert lines == [(expected["unit"].pk, "Nguyễn Văn Chuyển Mới", "can_bo")]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sign_in_with_a_phone_the_import_leaves_unchanged_does_not_wait(world, units, hn_admin, monkeypatch):
    """Only the lines the import changes are locked; a citizen whose line is in the file unchanged
    is linked at once (before, every line of the file was locked until the import committed)."""
    _line(units["hk"], "Trần Thị Không Đổi", "0915000021")
    renamed = _line(units["bd"], "Lê Văn Cũ", "0915000022")
    citizen = Account.objects.create_user(
        None, None, role=Role.CITIZEN, phone="+84915000021", phone_index=phone_index("+84915000021")
    )
    seen: dict[str, Any] = {}

    def sign_in_and_try_the_changed_line() -> None:
        _on_its_own_connection(lambda: members.members_link_for_account(account=citizen), seen, "link", wait="1s").join(30)
        locked = lambda: list(Member.objects.select_for_update().filter(pk=renamed.pk).values_list("pk"))  # noqa: E731
        _on_its_own_connection(locked, seen, "changed", wait="200ms").join(30)

    _while_open(monkeypatch, units["hn"], sign_in_and_try_the_changed_line)
    rows = [["Trần Thị Không Đổi", "0915000021", "DCS-HK", "đoàn viên"], ["Lê Văn Mới", "0915000022", "DCS-BD", "đoàn viên"]]
    result = _import(hn_admin, units["hn"], rows)
    assert _counts(result) == (0, 1, 1, 0)
    assert seen == {"link": 1, "link_at": seen["link_at"], "changed": "waited", "changed_at": seen["changed_at"]}
    assert Member.objects.get(phone_index=phone_index("+84915000021")).account == citizen
    renamed.refresh_from_db()
    assert renamed.full_name == "Lê Văn Mới"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_line_removed_between_the_read_and_the_update_is_imported_again_with_locks(world, units, hn_admin, monkeypatch):
    """The lines are read without a lock; a line the import would update, removed in that moment,
    makes it start again, reading under locks: the result and the one RosterImport record are
    those of the removal first, then the import."""
    line = _line(units["hk"], "Phạm Văn Bị Xoá", "0915000031")
    original = roster_import._lines_with_phones
    seen: dict[str, Any] = {}
    calls: list[bool] = []

    def read_then_removed(unit: OrgUnit, indexes: list[str], **kwargs: Any) -> Any:
        lines = original(unit, indexes, **kwargs)
        calls.append(bool(kwargs.get("lock")))
        if len(calls) == 1:
            remove = lambda: Member.objects.filter(pk=line.pk).update(removed_at=timezone.now())  # noqa: E731
            _on_its_own_connection(remove, seen, "removed", wait="1s").join(30)
        return lines

    monkeypatch.setattr(roster_import, "_lines_with_phones", read_then_removed)
    result = _import(hn_admin, units["hn"], [["Phạm Văn Mới", "0915000031", "DCS-HK", "đoàn viên"]])
    assert seen["removed"] == 1
    assert calls == [False, True]
    assert _counts(result) == (1, 0, 0, 0)
    line.refresh_from_db()
    assert line.removed_at is not None
    assert line.full_name == "Phạm Văn Bị Xoá"
    now_on = Member.objects.get(phone_index=line.phone_index, removed_at__isnull=True)
    assert (now_on.unit, now_on.full_name) == (units["hk"], "Phạm Văn Mới")
    records = list(RosterImport.objects.filter(unit=units["hn"]).values_list("created", "updated", "unchanged"))
    assert records == [(1, 0, 0)]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_unit_created_in_the_organisation_still_waits_for_an_import_in_flight(world, units, hn_admin, monkeypatch):
    """The tree's shape does not change under an import: a unit created (or moved) anywhere in the
    organisation waits for it, as before."""
    seen: dict[str, Any] = {}

    def create_elsewhere() -> None:
        work = lambda: unit_create(actor=world.org_admin, parent=units["hcm"], code="DCS-Q1", name="Đoàn cơ sở Quận 1").pk  # noqa: E731
        _on_its_own_connection(work, seen, "create", wait="500ms").join(timeout=30)

    _while_open(monkeypatch, units["hn"], create_elsewhere)
    _import(hn_admin, units["hn"], [["Ở Hà Nội", "0915000041", "", "đoàn viên"]])
    assert seen["create"] == "waited"
    assert not OrgUnit.objects.filter(code="DCS-Q1").exists()
    unit_create(actor=world.org_admin, parent=units["hcm"], code="DCS-Q1", name="Đoàn cơ sở Quận 1")


def test_an_import_into_a_unit_moved_since_it_was_read_uses_its_path_now(world, units):
    """The caller's copy of the unit predates a move: the import finds the unit's lines under its
    path now (before, it looked under the old path, found none and added a second line)."""
    stale = OrgUnit.objects.get(pk=units["hk"].pk)
    line = _line(units["hk"], "Hoàng Văn Ở Lại", "0915000051")
    unit_move(actor=world.org_admin, unit=units["hk"], new_parent_id=units["hcm"].pk)
    result = _import(world.org_admin, stale, [["Hoàng Văn Ở Lại", "0915000051", "", "đoàn viên"]])
    assert _counts(result) == (0, 0, 1, 0)
    assert list(Member.objects.filter(phone_index=line.phone_index).values_list("pk", flat=True)) == [line.pk]
