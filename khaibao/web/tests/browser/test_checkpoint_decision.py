"""Issue 17, major 1: the checkpoint's answer leads with what to do — let through, let through
with a reminder, do not admit, ask to declare first, refuse — in large type, colour and word
together, before the signature check; on a 320 px phone and a 1366 px screen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from khaibao.passes.services import pass_issue, pass_issue_with_code
from khaibao.passes.tests.helpers import give_status
from khaibao.web.tests.browser.a11y import NO_SCROLL, axe_violations
from khaibao.web.tests.browser.flows import staff_sign_in

pytestmark = pytest.mark.browser

CASES = [
    # (status of Hùng, decision, the words the gate reads first)
    ({"level": "low"}, "admit", "Cho qua"),
    ({"level": "medium"}, "admit_with_advice", "Cho qua — nhắc tiếp tục theo dõi sức khỏe"),
    ({"level": "high"}, "refer", "Không cho vào"),
    (None, "ask_to_declare", "Cần khai báo trước"),
]


@pytest.mark.parametrize("width", [320, 1366])
def test_it_leads_with_the_decision_for_every_colour(new_page: Any, world: Any, width: int) -> None:
    gate = new_page(viewport={"width": width, "height": 800})
    staff_sign_in(gate, username="demo-checkpoint")
    for status, decision, words in CASES:
        person = world.mai_self if status is None else world.hung_self  # Mai never declared: grey
        if status is not None:
            give_status(person, **status)
        code = pass_issue_with_code(person=person).code_display
        gate.goto("/staff/verify/")
        gate.fill("textarea[name=token]", code)
        gate.click("#verify-form button[type=submit]")
        result = gate.locator("#verify-result")
        expect(result).to_have_class(re.compile(rf"\bdecision-{decision}\b"))
        headline = result.locator(".decision-word")
        expect(headline).to_contain_text(words)
        # The decision is the first thing in the answer, and large.
        first = result.locator("p").first
        assert first.get_attribute("data-decision") == decision
        assert float(headline.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 28
        # ... then the signature check, with the expiry.
        expect(result.locator(".verdict-check")).to_contain_text("Chữ ký hợp lệ, hết hạn lúc")
        text = result.inner_text()
        assert text.index(words) < text.index("Chữ ký hợp lệ")
        assert "HỢP LỆ\n" not in text
        assert gate.evaluate(NO_SCROLL)
        assert axe_violations(gate) == []


def test_it_directs_a_red_pass_to_the_health_station(new_page: Any, world: Any) -> None:
    give_status(world.hung_self, level="urgent")
    token = pass_issue(person=world.hung_self).token
    gate = new_page()
    staff_sign_in(gate, username="demo-checkpoint")
    gate.goto("/staff/verify/")
    gate.fill("textarea[name=token]", token)
    gate.click("#verify-form button[type=submit]")
    result = gate.locator("#verify-result")
    expect(result.locator(".decision-word")).to_contain_text("Không cho vào")
    expect(result.locator(".decision-instruction")).to_contain_text("trạm y tế")
    expect(result.locator(".decision-instruction")).to_contain_text("1900 9095")
    assert "Khẩn cấp" not in result.inner_text()  # the level stays hidden


def test_it_refuses_an_unknown_code_without_javascript(new_page: Any, world: Any) -> None:
    gate = new_page(javascript=False)
    staff_sign_in(gate, username="demo-checkpoint")
    gate.goto("/staff/verify/")
    gate.fill("textarea[name=token]", "7K2QM-XD94P")
    gate.click("#verify-form button[type=submit]")
    gate.wait_for_load_state()
    result = gate.locator("#verify-result")
    expect(result).to_have_class(re.compile(r"\bdecision-refuse\b"))
    expect(result.locator(".decision-word")).to_contain_text("Từ chối")
    # (no axe here: it needs the page's JavaScript; the page with JavaScript is checked above)
    assert gate.evaluate(NO_SCROLL)
