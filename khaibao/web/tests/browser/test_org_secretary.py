"""Issues 21 and 17 in a browser: the member confirms right on the home page after signing in
(320 px, no second code); the secretary (1366 px) reads who counts, sees the reminder schedule,
reminds a unit now (once a day), sees who was reminded and exports the members to chase —
every page axe-clean and without sideways scrolling at 320 px and 1366 px."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from khaibao.orgs.models import Campaign, Member, OrgUnit, ReminderPolicy
from khaibao.orgs.tasks import compliance_refresh, unit_remind_now_task
from khaibao.web.tests.browser.a11y import NO_SCROLL, axe_violations
from khaibao.web.tests.browser.flows import citizen_sign_in, staff_sign_in

pytestmark = pytest.mark.browser

UNIT_NAME = "Đoàn cơ sở phường Hoàn Kiếm"


def _clean(page: Any) -> None:
    assert axe_violations(page) == []
    assert page.evaluate(NO_SCROLL), page.url


def test_the_member_confirms_on_the_home_page_right_after_signing_in(new_page: Any, world: Any, sms: Any) -> None:
    page = new_page(viewport={"width": 320, "height": 800})
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    texts = len(sms.messages())
    page.goto("/")
    pending = page.locator("[data-testid=pending-memberships]")
    expect(pending).to_contain_text(UNIT_NAME)
    _clean(page)
    pending.locator("a[href*='/confirm/']").first.click()
    page.wait_for_url(re.compile(r"/confirm/\?back=home$"))
    _clean(page)  # the confirmation page: what the organisation will see, and that it is final
    page.click("form button.danger[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator(".messages")).to_contain_text(UNIT_NAME)
    expect(page.locator("[data-testid=pending-memberships]")).to_have_count(0)
    _clean(page)
    assert Member.objects.get(unit__name=UNIT_NAME, account=world.lan).confirmed_at is not None
    assert len(sms.messages()) == texts  # no second code


@pytest.mark.parametrize("width", [1366, 320])
def test_the_secretary_reads_who_counts_reminds_now_and_exports_the_list(
    new_page: Any, world: Any, width: int
) -> None:
    today = timezone.localdate()
    hn = OrgUnit.objects.get(path="TWD/HN")
    Campaign.objects.create(
        unit=hn, name="Khai báo toàn đoàn", starts_on=today, deadline=today + timedelta(days=14),
        reminder_policy=ReminderPolicy.IN_APP_AND_SMS,
    )
    compliance_refresh.call()
    admin = new_page(viewport={"width": width, "height": 900})
    staff_sign_in(admin, username="demo-org")
    admin.goto(f"/staff/compliance/{hn.pk}/")
    # Nobody confirmed yet: every line of the roster awaits confirmation, 0 % of 0 confirmed.
    members = int(admin.locator("[data-testid=unit-members]").inner_text())
    assert members > 0
    expect(admin.locator("[data-testid=unit-confirmed]")).to_have_text("0")
    expect(admin.locator("[data-testid=unit-awaiting]")).to_have_text(str(members))
    admin.locator("[data-testid=who-counts] summary").click()
    expect(admin.locator("[data-testid=who-counts]")).to_contain_text("xác nhận")
    expect(admin.locator("[data-testid=reminder-schedule]")).to_contain_text("19:00")
    _clean(admin)

    admin.click("form[action$='/remind/'] button[type=submit]")
    admin.wait_for_url(re.compile(rf"/staff/compliance/{hn.pk}/"))
    expect(admin.locator(".messages")).to_contain_text("nhắc")
    expect(admin.locator("[data-testid=reminder-today-run]")).to_contain_text("đang gửi")
    expect(admin.locator("form[action$='/remind/']")).to_have_count(0)
    _clean(admin)

    # The worker sends; after the next refresh the page counts them and lists who.
    from khaibao.orgs.models import UnitReminderRun

    sent = unit_remind_now_task.call(UnitReminderRun.objects.get(unit=hn).pk)
    assert sent == members
    compliance_refresh.call()
    admin.reload()
    expect(admin.locator("[data-testid=reminder-last]")).to_contain_text(f"{members} thành viên")
    admin.click("[data-testid=reminder-last] a")
    admin.wait_for_url(re.compile(r"status=reminded_today"))
    expect(admin.locator(f"td[data-reminded='{today.isoformat()}']")).to_have_count(members)
    expect(admin.locator("td[data-membership=awaiting]")).to_have_count(members)
    _clean(admin)

    # The chasing list downloads at once (small).
    with admin.expect_download() as download:
        admin.click("[data-testid=chase] form button[type=submit]")
    assert download.value.suggested_filename.endswith(".csv")
