"""Signing in through a real browser: citizens by SMS code, officials by password + TOTP."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.accounts.models import OtpChallenge
from khaibao.web.tests.browser.a11y import NO_SCROLL, axe_violations
from khaibao.web.tests.browser.flows import citizen_sign_in, staff_sign_in, totp_now

pytestmark = pytest.mark.browser


def test_it_signs_a_citizen_in_with_the_code_from_the_sms(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")

    assert urlparse(page.url).path == "/"
    assert page.get_attribute("html", "lang") == "vi"
    assert page.locator("form[action$='/sign-out/']").count() >= 1


def test_it_refuses_a_wrong_code_and_keeps_the_citizen_out(page: Any, world: Any, sms: Any) -> None:
    page.goto("/sign-in/")
    page.fill("input[name=phone]", "0900000002")
    page.click("form:has(input[name=phone]) button[type=submit]")
    page.wait_for_url("**/sign-in/code/")
    right = sms.last_code("+84900000002")
    page.fill("input[name=code]", "000000" if right != "000000" else "111111")
    page.click("form:has(input[name=code]) button[type=submit]")

    expect(page.locator(".field-error")).to_have_count(1)
    assert page.url.endswith("/sign-in/code/")
    page.goto("/")
    expect(page.locator("form[action$='/sign-out/']")).to_have_count(0)


def test_it_switches_the_home_page_to_english(page: Any, world: Any) -> None:
    page.goto("/")
    assert page.get_attribute("html", "lang") == "vi"

    page.select_option("#lang-select", "en")
    page.click("form.lang button[type=submit]")

    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_it_enrols_an_official_in_totp_and_opens_the_console(page: Any, world: Any) -> None:
    staff_sign_in(page, username="demo-ward")

    assert page.url.endswith("/staff/2fa/")
    assert page.locator(".qr svg").count() == 1
    # The key typed by hand (base32, as authenticator apps take it) is the device's secret.
    typed = page.locator("code").inner_text().replace(" ", "").strip().upper()
    key = base64.b32decode(typed + "=" * (-len(typed) % 8))
    device = TOTPDevice.objects.get(user__username="demo-ward", confirmed=False)
    assert key == device.bin_key

    page.fill("input[name=code]", totp_now(device))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(lambda url: "/staff/2fa/" not in url)

    assert urlparse(page.url).path == "/staff/"
    assert "demo-ward" in page.locator("main").inner_text()
    assert TOTPDevice.objects.filter(user__username="demo-ward", confirmed=True).count() == 1


def test_it_keeps_an_official_without_the_second_factor_out_of_the_console(page: Any, world: Any) -> None:
    staff_sign_in(page, username="demo-province")
    assert page.url.endswith("/staff/2fa/")

    page.goto("/staff/")

    assert "/staff/2fa/" in page.url or "/staff/sign-in/" in page.url


@pytest.mark.parametrize("width", [320, 1366])
def test_it_offers_a_new_code_once_the_code_is_used_up(new_page: Any, world: Any, sms: Any, width: int) -> None:
    # Issue 17: after five wrong codes the right one says the code is used up, and a new one is one tap away.
    page = new_page(viewport={"width": width, "height": 800})
    phone, e164 = f"090000{width:04d}", f"+8490000{width:04d}"
    page.goto("/sign-in/")
    page.fill("input[name=phone]", phone)
    page.click("form:has(input[name=phone]) button[type=submit]")
    page.wait_for_url("**/sign-in/code/")
    right = sms.last_code(e164)
    for _ in range(5):
        page.fill("input[name=code]", f"{(int(right) + 1) % 1_000_000:06d}")
        page.click("form:has(input[name=code]) button[type=submit]")
        expect(page.locator(".field-error")).to_have_count(1)
    page.fill("input[name=code]", right)
    page.click("form:has(input[name=code]) button[type=submit]")
    expect(page.locator(".field-error")).to_contain_text("không dùng được nữa. Hãy yêu cầu mã mới.")
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []

    OtpChallenge.objects.update(created_at=timezone.now() - timedelta(minutes=2))  # past the cooldown
    page.click("[data-testid=resend-code]")
    expect(page.locator("body")).to_contain_text("Đã gửi mã mới đến")
    fresh = sms.last_code(e164)
    page.fill("input[name=code]", fresh)
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(lambda url: "/sign-in" not in url)
    expect(page.locator("form[action$='/sign-out/']").first).to_be_attached()
