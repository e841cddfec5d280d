"""Issue 5 end to end in a browser: a province official declares an epidemic zone in the
console; the warning job runs; a resident who also travelled there sees the warning in her
inbox and her raised risk level, and the official sees how many people were warned."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.web.tests.browser.flows import citizen_sign_in, staff_sign_in, totp_now
from khaibao.zones.models import ZoneWarningRun
from khaibao.zones.tasks import zone_warnings_run

pytestmark = pytest.mark.browser


def test_it_warns_a_resident_after_an_official_declares_a_zone(
    page: Any, new_page: Any, world: Any, api: Any, sms: Any
) -> None:
    # Lan lives in Hoàn Kiếm and declared a trip to Ba Đình three days ago: low risk so far.
    resp = api.as_(world.lan).post(
        f"/api/v1/people/{world.lan_self.id}/declarations",
        declaration(travel=[{"ward_code": world.ba_dinh.code, "from": ago(3), "to": ago(3)}]),
    )
    assert resp.json()["assessment"]["level"] == "low"

    official = new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(official, username="demo-province")
    device = TOTPDevice.objects.get(user__username="demo-province", confirmed=False)
    official.fill("input[name=code]", totp_now(device))
    official.click("form:has(input[name=code]) button[type=submit]")
    official.wait_for_url(lambda url: "/staff/2fa/" not in url)

    official.click("a[href='/staff/zones/']")
    official.wait_for_url("**/staff/zones/")
    official.click("a[href='/staff/zones/new/']")
    official.wait_for_url("**/staff/zones/new/")
    official.fill("input[name=name]", "Hoàn Kiếm và Ba Đình")
    official.select_option("select[name=level]", "3")
    official.check(f"input[name=wards][value='{world.hoan_kiem.code}']")
    official.check(f"input[name=wards][value='{world.ba_dinh.code}']")
    since = timezone.localtime() - timedelta(days=5)
    official.fill("input[name=valid_from]", since.strftime("%Y-%m-%dT00:00"))
    official.fill("textarea[name=advice_vi]", "Hạn chế ra ngoài; gọi 1900 9095 nếu có triệu chứng.")
    official.click("main form[method=post] button[name=step][value=publish]")
    official.wait_for_url(re.compile(r"/staff/zones/\d+/$"))
    expect(official.locator("#warning-progress")).to_be_visible()

    # The task worker picks the run up.
    zone_warnings_run.call(ZoneWarningRun.objects.get().pk)
    official.reload()
    # Lan's household (3), Nam, Ông Tư in Hoàn Kiếm; Mai and the volunteer in Ba Đình.
    expect(official.locator(".warned-total")).to_contain_text("7")
    expect(official.locator(".run-done")).to_be_visible()

    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    page.goto("/notifications/")
    expect(page.locator("main")).to_contain_text("Hoàn Kiếm và Ba Đình")
    page.goto(f"/people/{world.lan_self.id}/")
    expect(page.locator("#assessment")).to_have_class(re.compile(r"\blevel-yellow\b"))

    page.goto("/zones/check/")
    expect(page.locator(".check-result").first).to_contain_text("Hạn chế ra ngoài")
    assert page.evaluate("document.documentElement.scrollWidth <= 320")
