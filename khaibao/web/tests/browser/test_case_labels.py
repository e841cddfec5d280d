"""Issue 17, major 3: the official's case page reads as facts, not codes — trips with place names
and dates, symptoms by name, assessment reasons without rule keys — on 1366 px and 320 px."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.cases.tests.helpers import update
from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.web.tests.browser.a11y import NO_SCROLL, axe_violations
from khaibao.web.tests.browser.flows import staff_sign_in, totp_now

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1366, 320])
def test_it_shows_the_case_in_words(new_page: Any, world: Any, api: Any, width: int) -> None:
    body = declaration(
        travel=[{"province_code": 79, "from": ago(6), "to": ago(4)}],
        exposures=[{"code": "contact_confirmed", "date": ago(2)}],
    )
    assert api.as_(world.lan).post(f"/people/{world.lan_self.id}/declarations", body).status_code == 201
    update(api, world.lan, world.lan_self, ago(0), symptoms=["fever", "cough"], feeling="unwell")

    page = new_page(viewport={"width": width, "height": 900})
    staff_sign_in(page, username="demo-province")
    page.fill("input[name=code]", totp_now(TOTPDevice.objects.get(user__username="demo-province", confirmed=False)))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(lambda url: "/staff/2fa/" not in url)
    page.goto(f"/staff/cases/{world.lan_self.id}/")

    dmy = [date.fromisoformat(ago(n)).strftime("%d/%m/%Y") for n in (6, 4)]
    expect(page.locator("#declarations")).to_contain_text(f"Thành phố Hồ Chí Minh ({dmy[0]}–{dmy[1]})")
    expect(page.locator("#updates .symptom")).to_have_text(["Sốt", "Ho"])
    assessments = page.locator("#assessments").inner_text()
    assert "[" not in assessments
    assert "contact_confirmed" not in assessments
    assert page.evaluate(NO_SCROLL)
    assert axe_violations(page) == []
