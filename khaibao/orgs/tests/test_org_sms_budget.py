"""An organisation's reminders by SMS cannot spend the health notifications' SMS, nor carry an
admin's advert: they have their own daily budget, shared fairly between organisations
(orgs/sms_budget.py), and a unit's name with a phone number or a web address is refused — and
left out of the reminders when a unit already has one (orgs/names.py, orgs/reminder_texts.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from khaibao.accounts.phones import phone_index
from khaibao.notifications.models import Delivery, Notification, SmsDailyCounter
from khaibao.notifications.services import sms_budget_take
from khaibao.orgs.models import Campaign, Member, OrgSmsDailyCounter, OrgUnit, ReminderPolicy, UnitReminderRun
from khaibao.orgs.reminder_batches import campaign_reminder_send
from khaibao.orgs.reminders import unit_remind_now_run
from khaibao.orgs.tests.helpers import console, csv_file, signed_in_lines

SPAM = "TRUNG THUONG 50 TRIEU! Goi 0909999999 nhan qua ngay hoac vao bit.ly/xyz"
REFUSED_EN = "A unit's name cannot contain a phone number or a web address."
REFUSED_VI = "Tên đơn vị không được chứa số điện thoại hoặc địa chỉ trang web."


def _health_sms_counted() -> int:
    row = SmsDailyCounter.objects.filter(day=timezone.localdate()).first()
    return row.sent if row is not None else 0


def _org_counter(organisation: str) -> OrgSmsDailyCounter:
    return OrgSmsDailyCounter.objects.get(day=timezone.localdate(), organisation=organisation)


def _organisation(code: str, lines: int) -> tuple[Campaign, list[Member]]:
    """A root unit with one unit below it, `lines` roster lines nobody signed in with, and a
    campaign in force that reminds by SMS."""
    root = OrgUnit.objects.create(code=code, name=f"Tổ chức {code}")
    unit = OrgUnit.objects.create(code="U1", name=f"Đơn vị {code}", parent=root)
    d = timezone.localdate()
    campaign = Campaign.objects.create(
        unit=root, name="Khai báo", starts_on=d - timedelta(days=1), deadline=d + timedelta(days=5),
        reminder_policy=ReminderPolicy.IN_APP_AND_SMS,
    )
    base = {"ORGA": 1, "ORGB": 2, "ORGC": 3}[code]
    members = []
    for i in range(lines):
        phone = f"+849{base}{i:07d}"
        members.append(
            Member.objects.create(unit=unit, full_name=f"Thành viên {i}", phone=phone, phone_index=phone_index(phone))
        )
    return campaign, members


def _remind(campaign: Campaign, members: list[Member], capture: Any) -> None:
    with capture(execute=True):
        for line in members:
            assert campaign_reminder_send(campaign=campaign, member=line, day=timezone.localdate())


def test_remind_now_spends_the_organisations_budget_and_leaves_the_health_one_whole(
    world: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The tester's scenario (a sub-unit, 40 numbers of the admin's choosing, "remind now"),
    # with a name the service accepts.
    settings.SMS_DAILY_BUDGET = 5
    settings.ORG_SMS_DAILY_BUDGET = 10
    settings.ORG_SMS_PER_ORG_DAILY = 10
    client = console(world.org_admin)
    root = world.org_admin.org_unit
    assert client.post(f"/staff/orgs/{root.pk}/do/child/", {"code": "X1", "name": "Chi đoàn X1"}).status_code == 302
    unit = OrgUnit.objects.get(path=f"{root.path}/X1")
    phones = [f"0912{i:06d}" for i in range(1, 41)]
    roster = csv_file([[f"Nguyễn Văn {chr(65 + i % 26)}", phone, "", ""] for i, phone in enumerate(phones)])
    assert client.post(f"/staff/orgs/{unit.pk}/import/", {"file": roster}).status_code == 200
    assert Member.objects.filter(unit=unit).count() == 40
    today = timezone.localdate().isoformat()
    resp = client.post(f"/staff/orgs/{unit.pk}/campaigns/new/", {
        "name": "Khai báo", "starts_on": today, "deadline": today, "target_declared": "on",
        "reminder_policy": "in_app_sms",
    })
    assert resp.status_code == 302
    campaign = Campaign.objects.get(unit=unit)
    assert client.post(f"/staff/compliance/{unit.pk}/remind/", {"campaign": campaign.pk}).status_code == 302
    run = UnitReminderRun.objects.get(unit=unit)
    with django_capture_on_commit_callbacks(execute=True):
        unit_remind_now_run(run.pk)

    roster_phones = {"+84" + phone[1:] for phone in phones}
    assert len([m for m in sms.messages() if m["to"] in roster_phones]) == 10  # the organisations' budget
    assert _org_counter(root.path).sent == 10
    assert _org_counter(root.path).refused == 30
    assert _org_counter("").sent == 10
    # Not one of them was counted against the health notifications: a zone warning still goes.
    assert _health_sms_counted() == 0
    assert all(sms_budget_take() for _ in range(5))
    assert sms_budget_take() is False  # SMS_DAILY_BUDGET is the health notifications' own


def test_one_organisation_cannot_take_the_whole_budget_of_the_organisations(
    world: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ORG_SMS_DAILY_BUDGET = 10
    settings.ORG_SMS_PER_ORG_DAILY = 4
    first, second, third = _organisation("ORGA", 6), _organisation("ORGB", 6), _organisation("ORGC", 6)
    for campaign, lines in (first, second, third):
        _remind(campaign, lines, django_capture_on_commit_callbacks)

    def texted(lines: list[Member]) -> int:
        phones = {line.phone for line in lines}
        return len([m for m in sms.messages() if m["to"] in phones])

    # The first organisation stops at its share; the second still gets its own; the third what
    # is left of the day's budget for all organisations.
    assert (texted(first[1]), texted(second[1]), texted(third[1])) == (4, 4, 2)
    assert (_org_counter("ORGA").sent, _org_counter("ORGA").refused) == (4, 2)
    assert (_org_counter("ORGC").sent, _org_counter("ORGC").refused) == (2, 4)
    assert (_org_counter("").sent, _org_counter("").refused) == (10, 8)
    assert _health_sms_counted() == 0
    assert sms_budget_take() is True


def test_a_signed_in_members_reminder_sms_is_the_organisations_too(
    world: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ORG_SMS_PER_ORG_DAILY = 1
    campaign, _lines = _organisation("ORGA", 0)
    unit = OrgUnit.objects.get(path="ORGA/U1")
    signed_in = signed_in_lines(unit, 2)
    _remind(campaign, signed_in, django_capture_on_commit_callbacks)

    # Both are reminded in the app; one SMS goes (the share), not as a notification delivery.
    assert Notification.objects.filter(kind="campaign_reminder").count() == 2
    texted = [m for m in sms.messages() if m["to"] in {line.phone for line in signed_in}]
    assert len(texted) == 1
    assert "/tv" in texted[0]["body"]
    assert not Delivery.objects.filter(notification__kind="campaign_reminder", channel="sms").exists()
    assert (_org_counter("ORGA").sent, _org_counter("ORGA").refused) == (1, 1)
    assert _health_sms_counted() == 0


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(SPAM, id="advert"),
        pytest.param("Chi đoàn - gọi 0909 999 999", id="phone-spaced"),
        pytest.param("Chi đoàn 0909.999.999", id="phone-dotted"),
        pytest.param("Hỗ trợ 1900-1234", id="hotline"),
        pytest.param("Xem https://example.org", id="scheme"),
        pytest.param("Xem www.example", id="www"),
        pytest.param("Đoàn vidu.com.vn", id="domain"),
        # Ways round the first rule a reviewer found: any separator between digits, any dotted
        # name before a slash, spaces around the dot.
        pytest.param("Cong ty 0909,999,999", id="phone-commas"),
        pytest.param("Cong ty 0909/999/999", id="phone-slashes"),
        pytest.param("Cong ty 0909_999_999", id="phone-underscores"),
        pytest.param("Vào t.me/quangcao", id="short-link"),
        pytest.param("Vào fb.me/abc", id="short-link-2"),
        pytest.param("Đoàn vidu .com", id="domain-spaced"),
    ],
)
def test_a_unit_name_with_a_phone_number_or_a_web_address_is_refused(
    world: Any, api: Any, units: Any, name: str
) -> None:
    client = api.as_(world.org_admin)
    en = {"headers": {"Accept-Language": "en"}}
    resp = client.post(f"/orgs/{units['hn'].pk}/units", {"code": "X1", "name": name}, **en)
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["fields"]["name"] == REFUSED_EN
    resp = client.patch(f"/orgs/{units['hk'].pk}", {"name": name}, **en)
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["fields"]["name"] == REFUSED_EN

    page = console(world.org_admin)
    resp = page.post(f"/staff/orgs/{units['hn'].pk}/do/child/", {"code": "X1", "name": name})
    assert resp.status_code == 400
    assert REFUSED_VI in resp.content.decode()
    resp = page.post(f"/staff/orgs/{units['hk'].pk}/do/rename/", {"name": name})
    assert resp.status_code == 400
    assert REFUSED_VI in resp.content.decode()
    assert not OrgUnit.objects.filter(path="TWD/HN/X1").exists()
    assert OrgUnit.objects.get(pk=units["hk"].pk).name == units["hk"].name


@pytest.mark.parametrize(
    "name",
    [
        "Thành đoàn TP.HCM", "Chi đoàn K62 (2017-2021)", "Chi đoàn khóa 2020 – 2024", "Đoàn phường 12, quận 10",
        "Chi đoàn lớp 10A1, 11A2, 12A3", "Đoàn khóa 2022 lớp 12A", "Chi đội 8A1 - THCS 19/5",
    ],
)
def test_abbreviations_numbers_and_years_in_a_name_are_not_refused(world: Any, api: Any, units: Any, name: str) -> None:
    client = api.as_(world.org_admin)
    resp = client.post(f"/orgs/{units['hn'].pk}/units", {"code": "X1", "name": name})
    assert resp.status_code == 201, resp.content
    assert client.patch(f"/orgs/{resp.json()['id']}", {"name": name + " mới"}).status_code == 200


def test_an_older_unit_whose_name_carries_a_phone_number_is_not_named_in_its_reminders(
    world: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    campaign, lines = _organisation("ORGA", 1)
    unit = OrgUnit.objects.get(path="ORGA/U1")
    OrgUnit.objects.filter(pk=unit.pk).update(name=SPAM)  # named before such names were refused
    (signed_in,) = signed_in_lines(unit, 1)
    _remind(campaign, [Member.objects.get(pk=lines[0].pk), Member.objects.get(pk=signed_in.pk)],
            django_capture_on_commit_callbacks)

    texts = {m["to"]: m["body"] for m in sms.messages()}
    for phone in (lines[0].phone, signed_in.phone):
        assert "0909999999" not in texts[phone]
        assert "bit.ly" not in texts[phone]
        assert "TRUNG THUONG" not in texts[phone]
        assert "To chuc cua ban co ten ban trong danh sach thanh vien" in texts[phone]
        assert "XN" in texts[phone]
        assert "TUCHOI" in texts[phone]
    body = Notification.objects.get(kind="campaign_reminder", account=signed_in.account).body
    assert body.startswith("Tổ chức của bạn có tên bạn trong danh sách thành viên")
    assert "XN" not in body
    assert "0909999999" not in body
