"""Issue 17: the staff console on a 1366 px screen and a 320 px phone — a wide column so table
cells do not wrap to five lines and charts are not clipped, a persistent navigation for each
staff role, and the DPO's audit trail in words with a category filter."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.cases.tests.helpers import declare
from khaibao.passes.services import pass_issue
from khaibao.passes.verify import pass_verify
from khaibao.stats.tests.helpers import refresh
from khaibao.web.tests.browser.a11y import NO_SCROLL, axe_violations
from khaibao.web.tests.browser.flows import staff_sign_in, totp_now

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 900}


def _with_second_factor(page: Any, username: str) -> None:
    staff_sign_in(page, username=username)
    device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    page.fill("input[name=code]", totp_now(device))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(lambda url: "/staff/2fa/" not in url)


def _nav(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("nav.staff-nav a").all_inner_texts()]


def test_it_gives_an_official_a_wide_queue_and_a_persistent_navigation(new_page: Any, world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    declare(api, world.mai, world.mai_self, "medium")
    refresh()
    page = new_page(viewport=WIDE)
    _with_second_factor(page, "demo-province")
    page.goto("/staff/cases/")
    assert page.locator("main").bounding_box()["width"] >= 1200
    # One line per cell: no cell of the queue is taller than two lines of text.
    line = float(page.locator("table.queue td").first.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    heights = page.locator("table.queue tbody td").evaluate_all("cells => cells.map(c => c.getBoundingClientRect().height)")
    assert max(heights) < 2.5 * line + 16, heights
    links = _nav(page)
    assert links[:6] == [
        "Bảng điều khiển", "Danh sách cần xử lý", "Phản ánh của người dân", "Số giấy tờ bị trùng", "Vùng dịch",
        "Địa điểm (quét mã)",
    ]
    assert "Nhật ký truy cập" not in links
    expect(page.locator("nav.staff-nav a[aria-current=page]")).to_have_text("Danh sách cần xử lý")
    assert axe_violations(page) == []

    # Every console page keeps it; the current one is marked.
    page.get_by_role("link", name="Thống kê").click()
    page.wait_for_url("**/staff/stats/")
    expect(page.locator("nav.staff-nav a[aria-current=page]")).to_have_text("Thống kê")
    clipped = page.locator("main svg").evaluate_all(
        "svgs => svgs.filter(s => s.getBoundingClientRect().right > s.closest('.card').getBoundingClientRect().right + 1).length"
    )
    assert clipped == 0
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []


def test_it_shows_each_staff_role_its_own_pages(new_page: Any, world: Any) -> None:
    checkpoint = new_page(viewport=WIDE)
    staff_sign_in(checkpoint, username="demo-checkpoint")
    assert _nav(checkpoint) == ["Bảng điều khiển", "Kiểm tra thẻ thông hành y tế"]
    organisation = new_page(viewport=WIDE)
    staff_sign_in(organisation, username="demo-org")
    assert _nav(organisation) == [
        "Bảng điều khiển", "Tiến độ khai báo", "Đơn vị, danh sách và đợt vận động", "Địa điểm của đơn vị", "Tình nguyện viên",
    ]


@pytest.mark.parametrize("viewport", [WIDE, {"width": 320, "height": 640}])
def test_it_shows_the_dpo_the_trail_in_words_with_a_category_filter(
    new_page: Any, world: Any, viewport: dict[str, int]
) -> None:
    pass_verify(actor=world.checkpoint, token=pass_issue(person=world.lan_self).token)
    page = new_page(viewport=viewport)
    _with_second_factor(page, "demo-dpo")
    expect(page.locator("nav.staff-nav")).to_contain_text("Nhật ký truy cập")
    page.goto("/staff/audit/")
    page.select_option("select[name=category]", label="Thẻ thông hành y tế")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**category=passes**")
    table = page.locator("table.audit")
    expect(table).to_contain_text("Kiểm tra thẻ thông hành")
    expect(table).to_contain_text("Điểm kiểm soát")
    row = table.locator("tbody tr").first
    assert row.locator("td").nth(4).inner_text().strip() == "Điểm kiểm soát"  # the reason in words, not "checkpoint"
    assert "SimpleLazyObject" not in table.inner_text()
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []
