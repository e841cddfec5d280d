"""Rush mode (decision D) in a browser: a daily update stored first shows "đang đánh giá" on the
status page, which refreshes itself until the worker has assessed it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from khaibao.declarations.tests.helpers import declaration
from khaibao.monitoring.pending import pending_assess_batch
from khaibao.monitoring.services import daily_update_store
from khaibao.web.tests.browser.a11y import axe_violations
from khaibao.web.tests.browser.flows import citizen_sign_in

pytestmark = pytest.mark.browser


def test_the_status_page_says_assessing_and_refreshes_to_the_new_level(page: Any, world: Any, api: Any, sms: Any) -> None:
    assert api.as_(world.lan).post(f"/api/v1/people/{world.lan_child.id}/declarations", declaration()).status_code == 201
    # What the API or the form does for a late request in rush mode: stored, not assessed yet.
    daily_update_store(
        actor=world.lan, person=world.lan_child, day=timezone.localdate(), symptoms=["cough"], feeling="unwell"
    )
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    page.goto(f"/people/{world.lan_child.id}/")
    assessment = page.locator("#assessment")
    expect(assessment.get_by_role("status")).to_contain_text("Đang đánh giá")
    expect(assessment.locator(".level-word")).to_have_text(re.compile("Thấp"))  # the previous assessment
    assert axe_violations(page) == []

    assert pending_assess_batch().updates == 1  # the worker's next batch

    # No reload by the test: the page asks again by itself (every 5 s, the worker's period) and stops once it is done.
    expect(assessment.locator(".level-word")).to_have_text(re.compile("Trung bình"), timeout=15_000)
    expect(page.locator("#assessment-pending")).to_have_count(0)
    expect(page.locator("#assessment")).not_to_have_attribute("hx-trigger", re.compile("every"))
