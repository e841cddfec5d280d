"""Issue 17, major 2: before publishing a circle around chợ Đồng Xuân the official reads that
nobody would be warned, attaches the suggested ward in one click, and the banner then says who
is being warned — on a 1366 px screen and a 320 px phone, axe-clean."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.web.tests.browser.a11y import NO_SCROLL, axe_violations
from khaibao.web.tests.browser.flows import staff_sign_in, totp_now
from khaibao.zones.inputs import PlaceInput
from khaibao.zones.models import Zone
from khaibao.zones.places import place_declare

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1366, 320])
def test_it_says_whom_a_circle_reaches_and_attaches_its_ward(new_page: Any, world: Any, width: int) -> None:
    now = timezone.now()
    place_declare(actor=world.province, data=PlaceInput(
        name="Chợ Đồng Xuân, cổng số 1", province_code=world.hanoi.code, ward_code=world.hoan_kiem.code,
        lat=21.0381, lon=105.8497, radius_m=100, window_start=now - timedelta(days=1),
        window_end=now - timedelta(days=1) + timedelta(hours=2),
    ))
    page = new_page(viewport={"width": width, "height": 900})
    staff_sign_in(page, username="demo-province")
    page.fill("input[name=code]", totp_now(TOTPDevice.objects.get(user__username="demo-province", confirmed=False)))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(lambda url: "/staff/2fa/" not in url)

    page.goto("/staff/zones/new/")
    page.fill("input[name=name]", "Phong tỏa chợ Đồng Xuân")
    page.select_option("select[name=level]", "4")
    page.check("input[name=lockdown]")
    page.click("details.advanced summary")
    page.fill("#id_circle_lat", "21.0383")
    page.fill("#id_circle_lon", "105.8495")
    page.fill("#id_circle_radius_m", "300")
    page.click("main form[method=post] button[name=step][value=publish]")

    reach = page.locator("#zone-reach")
    expect(reach).to_contain_text("Sẽ không ai được cảnh báo")
    expect(reach.locator(".suggested-wards")).to_have_text("Phường Hoàn Kiếm")
    assert not Zone.objects.exists()
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []

    page.click("[data-testid=attach-wards]")
    expect(page.locator(f"input[name=wards][value='{world.hoan_kiem.code}']")).to_be_checked()
    expect(page.locator("#zone-reach")).to_contain_text("sống tại Phường Hoàn Kiếm")
    page.click("main form[method=post] button[name=step][value=publish]")
    page.wait_for_url(re.compile(r"/staff/zones/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("Đang cảnh báo")
    expect(page.locator("#zone-reach")).to_contain_text("Phường Hoàn Kiếm")
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []
