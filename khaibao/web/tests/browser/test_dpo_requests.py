"""Issue 17, major 6: the data-protection officer finds data-subject requests without typing an
audit key — kind, who, received, status and due time — on a 1366 px screen and a 320 px phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.privacy.models import Erasure
from khaibao.privacy.services import household_data_export
from khaibao.web.tests.browser.a11y import NO_SCROLL, axe_violations
from khaibao.web.tests.browser.flows import staff_sign_in, totp_now

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1366, 320])
def test_it_lists_the_requests_with_their_due_time(new_page: Any, world: Any, width: int) -> None:
    household_data_export(actor=world.lan, ip="")
    received = timezone.now() - timedelta(hours=80)
    Erasure.objects.create(person_id=world.lan_child.id, reason="request", requested_by=world.lan, requested_at=received)
    page = new_page(viewport={"width": width, "height": 900})
    staff_sign_in(page, username="demo-dpo")
    page.fill("input[name=code]", totp_now(TOTPDevice.objects.get(user__username="demo-dpo", confirmed=False)))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(lambda url: "/staff/2fa/" not in url)

    page.get_by_role("link", name="Yêu cầu của chủ thể dữ liệu").first.click()
    page.wait_for_url("**/staff/privacy/requests/")
    expect(page.locator("h1")).to_have_text("Yêu cầu của chủ thể dữ liệu")
    erasure = page.locator("tr[data-kind=erasure]")
    expect(erasure).to_contain_text("Xóa dữ liệu")
    expect(erasure).to_contain_text("Đang xử lý")
    expect(erasure).to_contain_text("quá hạn")
    due = timezone.localtime(received + timedelta(hours=72)).strftime("%d/%m/%Y %H:%M")
    expect(erasure).to_contain_text(due)
    expect(erasure).to_contain_text("+849•••••001")
    expect(page.locator("tr[data-kind=export]")).to_contain_text("Tải dữ liệu của mình")
    expect(page.locator("[data-testid=request-counts]")).to_contain_text("1 yêu cầu đã quá hạn")
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []

    page.select_option("select[name=kind]", "export")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**kind=export**")
    expect(page.locator("tr[data-kind=erasure]")).to_have_count(0)
    expect(page.locator("tr[data-kind=export]")).to_have_count(1)
