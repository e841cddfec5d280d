"""The offline outbox sends its posts in the order they were made, not in the order IndexedDB
keeps them (by submission key, a random UUID): "I am well" tapped first and the fever reported
after it, both offline, leave the fever recorded (review-faults 1a). The tap also carries its day."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from khaibao.monitoring.models import DailyUpdate
from khaibao.web.tests.browser.flows import citizen_sign_in
from khaibao.web.tests.browser.test_offline import _ready_offline

pytestmark = pytest.mark.browser

# Keys chosen so that key order is the reverse of the order the forms were made in.
WELL_KEY = "ffffffff-0000-4000-8000-000000000001"
FEVER_KEY = "00000000-0000-4000-8000-000000000002"


def _set_key(page: Any, form: str, key: str) -> None:
    page.eval_on_selector(f"{form} input[name=submission_key]", "(input, key) => { input.value = key; }", key)


def test_it_sends_the_queue_in_the_order_it_was_made(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    path = f"/people/{world.lan_self.id}/update/"
    _ready_offline(page, path)

    page.context.set_offline(True)
    page.reload()
    one_tap = "form:has(button[name=well])"
    _set_key(page, one_tap, WELL_KEY)
    page.click(f"{one_tap} button[name=well]")  # 1st: "I am well"
    outbox = page.locator("#outbox")
    expect(outbox.locator(".outbox-waiting")).to_have_count(1)
    # Stamped at the tap with the phone's day in Asia/Ho_Chi_Minh.
    queued = page.evaluate(
        f"KhaibaoStore.withStore('outbox', 'readonly', s => s.get('{WELL_KEY}')).then(item => item.body)"
    )
    assert f"day={timezone.localdate().isoformat()}" in queued

    page.wait_for_timeout(50)  # a later `created`
    detailed = "form:has(input[name=temperature])"
    _set_key(page, detailed, FEVER_KEY)
    page.check(f"input[type=radio][name=day][value='{timezone.localdate().isoformat()}']")
    page.check("input[name=feeling][value=unwell]")
    page.check("input[name=symptoms][value=fever]")
    page.fill("input[name=temperature]", "38.6")
    page.click(f"{detailed} button[type=submit]")  # 2nd: the fever, which must stand
    expect(outbox.locator(".outbox-waiting")).to_have_count(2)

    page.context.set_offline(False)
    expect(outbox.locator(".outbox-sent")).to_have_count(2, timeout=15_000)
    update = DailyUpdate.objects.get(person=world.lan_self, day=timezone.localdate())
    assert (update.feeling, update.symptoms, str(update.temperature)) == ("unwell", ["fever"], "38.6")
