"""Issue 4 end to end in a browser: an official signs in with TOTP, opens the triage queue,
opens a case, records an action, and the citizen's status page shows the advice."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.cases.tests.helpers import declare
from khaibao.web.tests.browser.flows import citizen_sign_in, staff_sign_in, totp_now

pytestmark = pytest.mark.browser


def test_it_takes_an_official_from_the_queue_to_advice_the_citizen_sees(
    page: Any, new_page: Any, world: Any, api: Any, sms: Any
) -> None:
    declare(api, world.lan, world.lan_self, "high")
    declare(api, world.hung, world.hung_self, "urgent")  # TP.HCM: never in a Hoàn Kiếm queue

    official = new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(official, username="demo-ward")
    assert official.url.endswith("/staff/2fa/")
    device = TOTPDevice.objects.get(user__username="demo-ward", confirmed=False)
    official.fill("input[name=code]", totp_now(device))
    official.click("form:has(input[name=code]) button[type=submit]")
    official.wait_for_url(lambda url: "/staff/2fa/" not in url)

    official.click("a[href='/staff/cases/']")
    official.wait_for_url("**/staff/cases/")
    rows = official.locator("tr.queue-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Nguyễn Thị Lan")
    assert "Phạm Văn Hùng" not in official.locator("main").inner_text()

    rows.first.locator("a").click()
    official.wait_for_url(f"**/staff/cases/{world.lan_self.id}/")
    expect(official.locator("#identity")).to_contain_text("•••••••••001")
    official.select_option("select[name=kind]", "advised_home_isolation")
    official.fill("textarea[name=notes]", "Đã gọi, dặn cách ly tại nhà")
    official.click("form.action-form button[type=submit]")
    official.wait_for_url(f"**/staff/cases/{world.lan_self.id}/")
    expect(official.locator(".actions-history")).to_contain_text("Đã gọi, dặn cách ly tại nhà")

    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    page.goto(f"/people/{world.lan_self.id}/")
    follow_up = page.locator("#follow-up")
    expect(follow_up).to_be_visible()
    expect(follow_up.locator(".advice")).not_to_be_empty()
    # the officials' notes stay in the console
    assert "Đã gọi" not in page.locator("main").inner_text()
