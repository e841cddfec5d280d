"""Retention of organisations' rosters: removed and declined lines lose name and phone after
RETENTION_ROSTER_REMOVED_DAYS, an import's file of rejected rows is emptied after
RETENTION_ROSTER_ERRORS_DAYS — through the one audited purge, with its dry run."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from khaibao.accounts.models import Account, Role
from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.orgs import members, roster_import
from khaibao.orgs.models import Campaign, Member, OrgUnit, RosterImport, UnitComplianceRollup
from khaibao.orgs.rollups import compliance_refresh_campaign
from khaibao.privacy.retention import retention_run
from khaibao.privacy.tests.helpers import database_hits

REMOVED_NAME, REMOVED_PHONE = "Nguyễn Văn Rời", "+84987000001"
DECLINED_NAME, DECLINED_PHONE = "Lê Thị Khôngphải", "+84987000002"
KEPT_NAME, KEPT_PHONE = "Phạm Văn Ở", "+84987000003"
REJECTED_NAME, REJECTED_PHONE = "Đỗ Thị Saisố", "0987-SAI-99"


class Roster:
    def __init__(self, world: Any) -> None:
        self.admin = world.org_admin
        self.unit = OrgUnit.objects.create(code="RET", name="Chi đoàn Lưu trữ", parent=OrgUnit.objects.get(path="TWD"))
        self.removed = members.member_add(actor=self.admin, unit=self.unit, full_name=REMOVED_NAME, phone=REMOVED_PHONE)
        members.member_remove(actor=self.admin, member=self.removed)
        citizen = Account.objects.create_user(
            None, None, role=Role.CITIZEN, phone=DECLINED_PHONE, phone_index=phone_index(DECLINED_PHONE)
        )
        self.declined = members.member_add(actor=self.admin, unit=self.unit, full_name=DECLINED_NAME, phone=DECLINED_PHONE)
        assert members.members_link_for_account(account=citizen) == 1
        self.declined.refresh_from_db()
        members.membership_decline(actor=citizen, member=self.declined)
        self.kept = members.member_add(actor=self.admin, unit=self.unit, full_name=KEPT_NAME, phone=KEPT_PHONE)
        upload = f"Họ và tên,Số điện thoại,Đơn vị,Vai trò\n{REJECTED_NAME},{REJECTED_PHONE},,khác\n".encode()
        result = roster_import.roster_import(
            actor=self.admin, unit=self.unit, filename="roster.csv", handle=io.BytesIO(upload), size=len(upload)
        )
        assert result.record is not None
        assert result.errors
        self.record = result.record
        assert REJECTED_NAME in self.record.error_csv

    def line(self, member: Member) -> Member:
        return Member.objects.get(pk=member.pk)

    def names_left(self) -> list[str]:
        return database_hits(REMOVED_NAME, REMOVED_PHONE, DECLINED_NAME, REJECTED_NAME, REJECTED_PHONE)


def _later(days: int) -> datetime:
    return timezone.now() + timedelta(days=days)


def test_it_keeps_the_lines_and_the_error_file_within_their_periods(world: Any) -> None:
    roster = Roster(world)
    retention_run(now=_later(29))
    assert roster.line(roster.removed).full_name == REMOVED_NAME
    assert roster.line(roster.declined).phone == DECLINED_PHONE
    assert REJECTED_NAME in RosterImport.objects.get(pk=roster.record.pk).error_csv


def test_it_empties_the_error_file_after_its_period_and_keeps_the_counts(world: Any) -> None:
    roster = Roster(world)
    done = retention_run(now=_later(31))
    assert done["roster_error_files"] == 1
    record = RosterImport.objects.get(pk=roster.record.pk)
    assert record.error_csv == ""
    assert (record.rows, record.created, record.errors) == (1, 0, 1)
    # Removed and declined lines still have most of their period.
    assert "roster_lines" not in done
    assert roster.line(roster.removed).full_name == REMOVED_NAME


def test_it_anonymises_removed_and_declined_lines_after_their_period(world: Any) -> None:
    roster = Roster(world)
    removed_at = roster.line(roster.removed).removed_at
    assert roster.names_left()
    later = _later(91)
    done = retention_run(now=later)
    assert done["roster_lines"] == 2
    removed, declined, kept = (roster.line(m) for m in (roster.removed, roster.declined, roster.kept))
    for line in (removed, declined):
        assert (line.full_name, line.phone, line.phone_index, line.person_id, line.account_id) == ("", "", "", None, None)
    # The removal keeps its day; a declined line leaves the roster as the erasure takes it off.
    assert removed.removed_at == removed_at
    assert declined.removed_at == later
    assert declined.declined_at is not None
    assert (kept.full_name, kept.phone, kept.removed_at) == (KEPT_NAME, KEPT_PHONE, None)
    assert roster.names_left() == []
    event = AuditEvent.objects.filter(action="privacy.retention").latest("pk")
    assert event.data["counts"]["roster_lines"] == 2
    assert event.data["counts"]["roster_error_files"] == 1
    # Done once: the anonymised lines are not due again.
    assert "roster_lines" not in retention_run(now=_later(200))


def test_the_dry_run_counts_them_and_changes_nothing(world: Any, settings: Any) -> None:
    roster = Roster(world)
    settings.RETENTION_ROSTER_REMOVED_DAYS = 0
    settings.RETENTION_ROSTER_ERRORS_DAYS = 0
    out = io.StringIO()
    call_command("retention", "--dry-run", stdout=out)
    lines = {line.split()[0]: line.split()[1:] for line in out.getvalue().splitlines() if line.startswith("roster_")}
    assert lines == {"roster_lines": ["anonymise", "2"], "roster_error_files": ["anonymise", "1"]}
    assert roster.line(roster.removed).full_name == REMOVED_NAME
    assert roster.line(roster.declined).full_name == DECLINED_NAME
    assert REJECTED_NAME in RosterImport.objects.get(pk=roster.record.pk).error_csv


def test_the_members_counts_stay_as_they_were(world: Any) -> None:
    roster = Roster(world)
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        unit=roster.unit, name="Khai báo 100%", starts_on=today - timedelta(days=1), deadline=today + timedelta(days=10)
    )
    figures = ("own_members", "own_confirmed", "own_declared", "own_updated_today", "members", "confirmed")

    def numbers() -> dict[str, int]:
        compliance_refresh_campaign(campaign=campaign, day=today)
        row = UnitComplianceRollup.objects.get(campaign=campaign, day=today, unit=roster.unit)
        return {name: getattr(row, name) for name in (*figures, "declined")}

    before = numbers()
    assert (before["own_members"], before["declined"]) == (1, 1)
    retention_run(now=_later(91))
    after = numbers()
    assert {k: after[k] for k in figures} == {k: before[k] for k in figures}
    # A declined line past its period is no longer flagged to correct (docs/privacy.md §5).
    assert after["declined"] == 0


@pytest.mark.parametrize("name", ["RETENTION_ROSTER_REMOVED_DAYS", "RETENTION_ROSTER_ERRORS_DAYS"])
def test_it_refuses_to_start_with_a_period_below_one_day(name: str) -> None:
    env = {**os.environ, "DEBUG": "1", name: "0", "DJANGO_SETTINGS_MODULE": "khaibao.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert name in result.stderr
