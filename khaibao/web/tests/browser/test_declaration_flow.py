"""Issue 3 end to end in a browser: a citizen adds a family member, declares for them, sees the
assessment and the QR health pass, and checkpoint staff verify the pass without health details."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from khaibao.web.tests.browser.flows import citizen_sign_in, staff_sign_in

pytestmark = pytest.mark.browser

NO_SCROLL = "document.documentElement.scrollWidth <= 320"


def test_it_takes_a_new_family_member_from_declaration_to_a_verified_pass(
    page: Any, new_page: Any, world: Any, sms: Any
) -> None:
    today = timezone.localdate()
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")

    # Add a family member; the address defaults to Lan's own.
    page.goto("/household/")
    page.click("a[href$='/household/add/']")
    page.wait_for_url("**/household/add/")
    assert page.evaluate(NO_SCROLL)
    page.select_option("select[name=relation]", "child")
    page.fill("input[name=full_name]", "Trần Bảo Châu")
    page.fill("input[name=date_of_birth]", "2019-05-01")
    page.check("input[name=sex][value=female]")
    page.click("form button.button[type=submit]:not(.visually-hidden)")
    page.wait_for_url("**/household/")
    page.click("a:has-text('Trần Bảo Châu')")
    page.wait_for_url("**/people/*/")
    person_path = urlparse(page.url).path

    # Declare: a fever since yesterday, no exposure, no travel → medium, monitored.
    page.click(f"a[href='{person_path}declare/']")
    page.wait_for_url("**/declare/")
    assert page.evaluate(NO_SCROLL)
    page.check("input[name=symptom_fever]")
    page.fill("input[name=symptom_fever_onset]", (today - timedelta(days=1)).isoformat())
    page.check("input[name=commitment]")
    page.check("input[name=consent]")
    page.click("form button.button[type=submit]")
    page.wait_for_url(f"**{person_path}")

    # The assessment, explained, and the pass.
    assessment = page.locator("#assessment")
    assert "level-yellow" in (assessment.get_attribute("class") or "")
    assert assessment.locator(".level-word").inner_text().strip()
    assert assessment.locator("ul.list li").count() >= 1  # reasons (and what to do)
    assert page.evaluate(NO_SCROLL)
    qr = page.locator(".pass .qr img")
    qr.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", qr.element_handle())
    page.click(".pass details summary")
    token = page.locator(".pass .pass-token").inner_text().strip()
    assert token

    # The checkpoint verifies the code shown under the QR.
    gate = new_page()
    staff_sign_in(gate, username="demo-checkpoint")
    gate.goto("/staff/verify/")
    gate.fill("textarea[name=token]", token)
    gate.click("#verify-form button[type=submit]")

    # htmx swaps the verdict in and then settles its classes: let Playwright wait for them.
    result = gate.locator("#verify-result")
    expect(result).to_have_class(re.compile(r"\bverdict-valid\b"))
    expect(result).to_have_class(re.compile(r"\bpass-yellow\b"))
    expect(result.locator(".initials")).to_have_text("TBC")
    shown = result.inner_text()
    assert "Trần Bảo Châu" not in shown
    assert "fever" not in shown.lower()
    assert "sốt" not in shown.lower()
    assert gate.evaluate(NO_SCROLL)


def test_it_rejects_a_tampered_pass_at_a_checkpoint_without_javascript(
    page: Any, new_page: Any, world: Any, sms: Any
) -> None:
    citizen_sign_in(page, sms, phone="0900000002", e164="+84900000002")
    page.goto(f"/people/{world.mai_self.id}/")
    page.click(".pass details summary")
    token = page.locator(".pass .pass-token").inner_text().strip()
    body, _, signature = token.partition(".")
    tampered = f"{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"

    gate = new_page(javascript=False)
    staff_sign_in(gate, username="demo-checkpoint")
    gate.goto("/staff/verify/")
    gate.fill("textarea[name=token]", tampered)
    gate.click("#verify-form button[type=submit]")
    gate.wait_for_load_state()

    result = gate.locator("#verify-result")
    expect(result).to_have_class(re.compile(r"\bverdict-invalid\b"))
    assert result.locator(".decision-word").count() == 1
