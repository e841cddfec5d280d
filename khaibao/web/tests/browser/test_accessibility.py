"""Issue 10, accessibility: every citizen page passes axe-core's WCAG 2.1 A/AA rules and fits a
320 px phone without sideways scrolling; the daily update works with the keyboard alone; the
large-text switch works and is remembered."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from khaibao.news.services import AnnouncementData, announcement_create
from khaibao.web.tests.browser.a11y import NO_SCROLL, page_problems
from khaibao.web.tests.browser.flows import citizen_sign_in

pytestmark = pytest.mark.browser


def test_it_passes_axe_and_fits_320px_on_every_public_page(page: Any, world: Any, sms: Any) -> None:
    item = announcement_create(
        actor=world.national, data=AnnouncementData(title="Tiêm vắc-xin mũi nhắc lại", body="Lịch tiêm tại các trạm y tế phường.")
    )
    problems: list[str] = []
    for path in ("/", "/sign-in/", "/zones/", "/zones/check/", "/news/", f"/news/{item.pk}/",
                 "/reports/new/", "/reports/track/", "/offline/"):
        problems += page_problems(page, path)
    # The code page, reached the way a citizen reaches it.
    page.goto("/sign-in/")
    page.fill("input[name=phone]", "0900000001")
    page.click("form:has(input[name=phone]) button[type=submit]")
    page.wait_for_url("**/sign-in/code/")
    problems += page_problems(page, "/sign-in/code/")
    assert not problems, "\n".join(problems)


def test_it_passes_axe_and_fits_320px_on_every_household_page(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    child = world.lan_child.id
    problems: list[str] = []
    for path in ("/", "/household/", "/household/add/", f"/household/{child}/edit/", f"/household/{child}/remove/",
                 f"/people/{child}/", f"/people/{child}/declare/", f"/people/{child}/risk/", f"/people/{child}/update/",
                 "/notifications/", "/notifications/preferences/", "/reports/", "/memberships/"):
        problems += page_problems(page, path)
    # A form sent back with errors: the messages next to the fields must pass too.
    page.goto(f"/people/{child}/declare/")
    page.click("form button.button[type=submit]")
    page.wait_for_selector(".field-error, .errors")
    problems += page_problems(page, page.url.removeprefix(page.url.split("/people/")[0]))
    # And the status page once there is a level to show (colour beside its word, in contrast).
    page.check("input[name=symptom_fever]")
    page.fill("input[name=symptom_fever_onset]", (timezone.localdate() - timedelta(days=1)).isoformat())
    page.check("input[name=commitment]")
    page.check("input[name=consent]")
    page.click("form button.button[type=submit]")
    page.wait_for_url(f"**/people/{child}/")
    expect(page.locator("#assessment")).to_have_class(re.compile(r"\blevel-yellow\b"))
    problems += page_problems(page, f"/people/{child}/")
    assert not problems, "\n".join(problems)


def test_it_passes_axe_and_fits_320px_on_the_volunteer_pages(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000009", e164="+84900000009")
    problems: list[str] = []
    for path in ("/volunteer/", "/volunteer/register/", "/volunteer/passes/", f"/people/{world.ong_tu.id}/update/"):
        problems += page_problems(page, path)
    assert not problems, "\n".join(problems)


def test_it_takes_a_daily_update_from_the_keyboard_alone(page: Any, world: Any, sms: Any) -> None:
    from khaibao.monitoring.models import DailyUpdate

    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    page.goto(f"/people/{world.lan_child.id}/update/")
    page.locator("body").focus()

    def tab_to(selector: str, limit: int = 60) -> None:
        target = page.locator(selector)
        for _ in range(limit):
            page.keyboard.press("Tab")
            if target.evaluate("el => el === document.activeElement"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    # The skip link comes first and moves focus past the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip')")
    # A radio group is one tab stop (nothing is pre-chosen: the first, "well"); the arrow keys
    # move and tick inside it.
    tab_to("input[name=feeling][value=well]")
    page.keyboard.press("ArrowDown")
    assert page.locator("input[name=feeling][value=unwell]").is_checked()
    tab_to("input[name=symptoms][value=cough]")
    page.keyboard.press("Space")
    tab_to("input[name=temperature]")
    page.keyboard.type("37.9")
    tab_to("form:has(input[name=temperature]) button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/people/{world.lan_child.id}/")
    update = DailyUpdate.objects.get(person=world.lan_child)
    assert update.symptoms == ["cough"]
    assert update.feeling == "unwell"
    assert str(update.temperature) == "37.9"


def test_it_switches_to_large_text_and_remembers_it(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    path = f"/people/{world.lan_child.id}/update/"
    page.goto(path)
    switch = page.locator("#text-size button")
    expect(switch).to_have_attribute("aria-pressed", "false")
    normal = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)")

    switch.focus()
    page.keyboard.press("Enter")
    expect(switch).to_have_attribute("aria-pressed", "true")
    large = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)")
    assert large >= normal * 1.2

    page.reload()  # rendered large by the server from the cookie
    expect(page.locator("html")).to_have_class("large-text")
    expect(switch).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(NO_SCROLL)
    assert page_problems(page, path) == []

    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "false")
    page.reload()
    expect(page.locator("html")).not_to_have_class("large-text")
