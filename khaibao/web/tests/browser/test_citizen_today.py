"""Issue 17, the citizen's minor fixes in a browser: what is left to do today on the home page,
one coherent state for someone who only tapped "I am well", the daily update's "how do you
feel" never pre-chosen, and the declaration form's error summary at the top."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from khaibao.declarations.tests.helpers import declaration
from khaibao.web.tests.browser.a11y import NO_SCROLL, axe_violations
from khaibao.web.tests.browser.flows import citizen_sign_in

pytestmark = pytest.mark.browser


def test_it_offers_a_button_for_each_person_with_something_left_to_do_today(
    page: Any, world: Any, api: Any, sms: Any
) -> None:
    # Lan declared for herself; her child and father have never declared.
    assert api.as_(world.lan).post(f"/api/v1/people/{world.lan_self.id}/declarations", declaration()).status_code == 201
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    page.goto("/")
    lan = page.locator(f"li[data-person='{world.lan_self.id}']")
    child = page.locator(f"li[data-person='{world.lan_child.id}']")
    expect(lan.get_by_role("link", name="Cập nhật hôm nay")).to_be_visible()
    expect(child.get_by_role("link", name="Khai báo")).to_be_visible()
    expect(page.locator(f"li[data-person='{world.lan_parent.id}']").get_by_role("link", name="Khai báo")).to_be_visible()
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []

    lan.get_by_role("link", name="Cập nhật hôm nay").click()
    page.wait_for_url(f"**/people/{world.lan_self.id}/update/")
    page.click("button[name=well]")
    page.wait_for_url(f"**/people/{world.lan_self.id}/")
    page.goto("/")
    expect(lan).to_contain_text("Đã cập nhật hôm nay")
    expect(lan.get_by_role("link", name="Cập nhật hôm nay")).to_have_count(0)


def test_it_shows_one_coherent_state_after_only_i_am_well(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    page.goto(f"/people/{world.lan_child.id}/")
    page.click("button[name=well]")
    page.wait_for_url(f"**/people/{world.lan_child.id}/")
    assessment = page.locator("#assessment")
    expect(assessment.locator(".level-word")).to_have_text(re.compile("Chưa khai báo"))
    expect(assessment).to_have_class(re.compile(r"\blevel-grey\b"))
    expect(assessment.get_by_role("link", name="Khai báo ngay")).to_be_visible()
    assert "Thấp" not in assessment.inner_text()
    assert "Không có thông tin nào" not in assessment.inner_text()
    expect(page.locator(".pass")).to_have_class(re.compile(r"\bpass-grey\b"))
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []


def test_it_refuses_a_daily_update_where_nothing_was_chosen(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    page.goto(f"/people/{world.lan_child.id}/update/")
    assert page.locator("input[name=feeling]:checked").count() == 0
    page.click("form:has(input[name=feeling]) button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator(".field.radio.has-error .field-error")).to_have_text("Cho biết bạn thấy khỏe hay không khỏe.")
    assert axe_violations(page) == []


def test_it_sums_up_the_declarations_errors_at_the_top_with_links(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    page.goto(f"/people/{world.lan_child.id}/declare/")
    page.check("input[name=symptom_fever]")  # ticked without the day it started
    page.click("form button.button[type=submit]")
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    # It comes before the first question, high on the page.
    assert summary.bounding_box()["y"] < page.locator("fieldset").first.bounding_box()["y"]
    links = summary.locator("a")
    assert links.count() >= 3  # the symptom's day, the commitment and the consent
    for n in range(links.count()):
        target = links.nth(n).get_attribute("href")
        assert target
        assert target.startswith("#")
        assert page.locator(target).count() == 1, target
    links.first.click()
    assert page.evaluate("location.hash") == links.first.get_attribute("href")
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []
