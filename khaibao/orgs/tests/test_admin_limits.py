"""An organisation admin's roster imports and "remind now"s are bounded per hour
(orgs/admin_limits.py): a script or a stolen session cannot keep the database or the SMS gateway
busy. Over the limit: 429 with Retry-After, nothing written, one audit event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.accounts.models import Account, Role
from khaibao.audit.models import AuditEvent
from khaibao.orgs.models import Campaign, Member, OrgUnit, ReminderPolicy, RosterImport, UnitReminderRun
from khaibao.orgs.tests.helpers import console, csv_file, roster_lines, upload


def _rows(start: int) -> list[list[str]]:
    return [[f"Người Thứ {chr(0x41 + i)}", f"09124{start + i:05d}", "DCS-HK", "đoàn viên"] for i in range(2)]


def test_roster_imports_over_the_hours_limit_are_refused_and_audited(world: Any, api: Any, units: Any, hn_admin: Any, settings: Any) -> None:
    settings.ORG_ROSTER_IMPORTS_PER_HOUR = 2
    client = api.as_(hn_admin)
    for n in range(2):
        assert upload(client, units["hn"].pk, csv_file(_rows(10 * n))).status_code == 200
    members = Member.objects.count()
    refused = upload(client, units["hn"].pk, csv_file(_rows(100)))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert refused.json()["error"]["code"] == "rate_limited"
    assert (Member.objects.count(), RosterImport.objects.count()) == (members, 2)
    assert AuditEvent.objects.filter(action="orgs.admin_rate_limited", actor=hn_admin, data__what="roster_import").count() == 1
    # The console says so at the form, in the admin's language.
    page = console(hn_admin).post(f"/staff/orgs/{units['hn'].pk}/import/", {"file": csv_file(_rows(200))}, headers={"Accept-Language": "en"})
    assert page.status_code == 429
    assert "You have done this 2 times in the last hour, the limit." in page.content.decode()
    # Another admin is counted apart.
    assert upload(api.as_(world.org_admin), world.org_admin.org_unit_id, csv_file([])).status_code != 429


def test_remind_now_over_the_hours_limit_is_refused(world: Any, api: Any, settings: Any) -> None:
    settings.ORG_REMIND_NOW_PER_HOUR = 1
    root = OrgUnit.objects.create(code="LIM", name="Tổ chức LIM")
    first = OrgUnit.objects.create(code="A", name="Đơn vị A", parent=root)
    second = OrgUnit.objects.create(code="B", name="Đơn vị B", parent=root)
    roster_lines(first, 1)
    roster_lines(second, 1)
    day = timezone.localdate()
    campaign = Campaign.objects.create(
        unit=root, name="Khai báo", starts_on=day - timedelta(days=1), deadline=day + timedelta(days=5),
        reminder_policy=ReminderPolicy.IN_APP_AND_SMS,
    )
    admin = Account.objects.create_user("adm-lim", "pw-admin-2026-x", role=Role.ORG_ADMIN, org_unit=root)
    client = api.as_(admin)
    assert client.post(f"/orgs/{first.pk}/remind", {"campaign": campaign.pk}).status_code == 202
    refused = client.post(f"/orgs/{second.pk}/remind", {"campaign": campaign.pk})
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert list(UnitReminderRun.objects.values_list("unit_id", flat=True)) == [first.pk]
    assert AuditEvent.objects.filter(action="orgs.admin_rate_limited", actor=admin, data__what="remind_now").count() == 1
