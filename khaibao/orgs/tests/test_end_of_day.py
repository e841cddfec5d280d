"""Issue 21: crossing midnight — the end-of-day snapshot freezes yesterday's numbers per unit,
and the new day starts with nobody updated (declared stays: it is since the campaign's start)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from khaibao.accounts.models import Account, Role
from khaibao.monitoring.models import PersonStatus
from khaibao.orgs import tasks
from khaibao.orgs.models import Campaign, ComplianceSnapshot, Member, OrgUnit, ReminderPolicy
from khaibao.orgs.tests.test_compliance import compliance, member, numbers

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 12, 1)


def _local(day: date, h: int, m: int) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, tzinfo=HCM)


def test_midnight_freezes_yesterday_per_unit_and_starts_today_at_zero(world: Any, api: Any, time_machine: Any) -> None:
    time_machine.move_to(_local(DAY, 8, 0), tick=False)
    root = OrgUnit.objects.create(code="EOD", name="Unit EOD")
    a = OrgUnit.objects.create(code="A", name="Unit A", parent=root)
    b = OrgUnit.objects.create(code="B", name="Unit B", parent=root)
    Campaign.objects.create(
        unit=root, name="Tháng 12", starts_on=DAY - timedelta(days=2), deadline=DAY + timedelta(days=5),
        reminder_policy=ReminderPolicy.NONE,
    )
    admin = Account.objects.create_user("eod-admin", "x-pass-12345", role=Role.ORG_ADMIN, org_unit=root)
    # A: two confirmed members who declared; one updates in the morning, one at 23:58.
    early = member(world, a, declared_at=_local(DAY, 7, 0), updated_at=_local(DAY, 7, 30))
    late = member(world, a, declared_at=_local(DAY, 7, 0), updated_at=None)
    # B: one member who declared and updated, one awaiting confirmation.
    member(world, b, declared_at=_local(DAY, 9, 0), updated_at=_local(DAY, 9, 5))
    member(world, b, linked=False)

    time_machine.move_to(_local(DAY, 23, 58), tick=False)
    PersonStatus.objects.filter(person=late.person).update(last_update_at=_local(DAY, 23, 58), last_update_day=DAY)
    tasks.compliance_refresh.call()
    tasks.compliance_snapshot.call()  # 23:58: the provisional snapshot of today
    assert not ComplianceSnapshot.objects.filter(day=DAY, final=True).exists()
    assert ComplianceSnapshot.objects.filter(day=DAY, final=False).count() == 3

    # Midnight passes; the periodic jobs run at 00:01 and 00:02.
    time_machine.move_to(_local(DAY + timedelta(days=1), 0, 1), tick=False)
    tasks.compliance_snapshot.call()
    time_machine.move_to(_local(DAY + timedelta(days=1), 0, 2), tick=False)
    tasks.compliance_refresh.call()

    frozen = {s.unit_id: s for s in ComplianceSnapshot.objects.filter(day=DAY)}
    assert all(s.final for s in frozen.values())
    as_tuple = {u.code: (frozen[u.pk].members, frozen[u.pk].confirmed, frozen[u.pk].declared, frozen[u.pk].updated_today)
                for u in (root, a, b)}
    assert as_tuple == {"EOD": (4, 3, 3, 3), "A": (2, 2, 2, 2), "B": (2, 1, 1, 1)}

    # Yesterday through the API reads the frozen snapshot; today starts at 0 updated.
    yesterday = compliance(api, admin, root.pk, date=DAY.isoformat()).json()
    assert yesterday["from_snapshot"] is True
    assert numbers(yesterday["unit"]) == (4, 3, 3, 3)
    today = compliance(api, admin, root.pk).json()
    assert today["date"] == (DAY + timedelta(days=1)).isoformat()
    assert numbers(today["unit"]) == (4, 3, 3, 0)
    assert [numbers(c) for c in today["children"]] == [(2, 2, 2, 0), (2, 1, 1, 0)]

    # A morning update the new day counts today, and never changes yesterday's report.
    time_machine.move_to(_local(DAY + timedelta(days=1), 7, 0), tick=False)
    PersonStatus.objects.filter(person=early.person).update(
        last_update_at=_local(DAY + timedelta(days=1), 6, 59), last_update_day=DAY + timedelta(days=1)
    )
    tasks.compliance_refresh.call()
    tasks.compliance_snapshot.call()
    assert numbers(compliance(api, admin, root.pk).json()["unit"]) == (4, 3, 3, 1)
    assert numbers(compliance(api, admin, root.pk, date=DAY.isoformat()).json()["unit"]) == (4, 3, 3, 3)
    assert Member.objects.filter(unit__in=[a, b]).count() == 4
