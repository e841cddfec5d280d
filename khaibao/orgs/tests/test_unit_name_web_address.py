"""A unit's name opens the reminder SMS its roster phones get from the service's number, so it may
carry no web address and no phone number however written (orgs.names.unit_name_allowed, an
allow-rule since security review finding 2: the old list of 60 domain endings let ".in", ".pw",
".id", ".la", full-width and bracketed dots through). A name made before is not refused after the
fact: the reminders say "your organisation" instead of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from khaibao.accounts.phones import phone_index
from khaibao.orgs.models import Campaign, Member, OrgUnit, ReminderPolicy
from khaibao.orgs.names import unit_name_allowed
from khaibao.orgs.reminder_batches import campaign_reminder_send

REFUSED_EN = "A unit's name cannot contain a phone number or a web address."

LOOK_ALIKES = [
    "Chi đoàn khaibao-gov.in", "Chi đoàn vaytien.pw", "Chi đoàn dichvu.id", "Chi đoàn thongbao.la",
    "Chi đoàn evil.cm", "Chi đoàn bit．ly", "Chi đoàn bit。ly", "Chi đoàn evil[.]com", "Chi đoàn evil (dot) com",
    "Chi đoàn ｅｖｉｌ．ｃｏｍ", "Chi đoàn tp.la", "Chi đoàn x.TP.HCM", "Gọi 0909 9x99 999", "Gọi O9O9 999 999",
]


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_it_refuses_a_web_address_or_a_phone_number_however_written(world: Any, api: Any, units: Any, name: str) -> None:
    client = api.as_(world.org_admin)
    resp = client.post(f"/orgs/{units['hn'].pk}/units", {"code": "X1", "name": name},
                       headers={"Accept-Language": "en"})
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["fields"]["name"] == REFUSED_EN
    assert not OrgUnit.objects.filter(path="TWD/HN/X1").exists()


@pytest.mark.parametrize("name", [
    "Thành đoàn TP.HCM", "Đoàn Tp.HCM", "Đoàn P.Bến Nghé, Q.1, TP. Hồ Chí Minh", "Chi đoàn Q.Ba Đình",
    "Đoàn trường ĐH.Bách Khoa", "Chi đoàn lớp 10A1, 11A2, 12A3", "Chi đoàn 12A1 12A2 12A3 12A4 12A5",
    "Chi đoàn K62 (2017-2021)",
])
def test_it_keeps_vietnamese_abbreviations_and_class_names(name: str) -> None:
    assert unit_name_allowed(name), name


def test_an_older_unit_named_like_a_web_address_is_not_named_in_its_reminders(
    world: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    root = OrgUnit.objects.create(code="ORGW", name="Tổ chức W")
    unit = OrgUnit.objects.create(code="U1", name="Đơn vị W", parent=root)
    OrgUnit.objects.filter(pk=unit.pk).update(name="Chi đoàn khaibao-gov.in")  # named before the rule
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        unit=root, name="Khai báo", starts_on=today - timedelta(days=1), deadline=today + timedelta(days=3),
        reminder_policy=ReminderPolicy.IN_APP_AND_SMS,
    )
    phone = "+84987654321"
    line = Member.objects.create(unit=unit, full_name="Nguyễn Văn Khách", phone=phone, phone_index=phone_index(phone))

    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_reminder_send(campaign=campaign, member=Member.objects.get(pk=line.pk), day=today)

    (body,) = [m["body"] for m in sms.messages() if m["to"] == phone]
    assert "khaibao-gov" not in body
    assert "To chuc cua ban co ten ban trong danh sach thanh vien" in body
