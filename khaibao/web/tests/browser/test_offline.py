"""Issue 10, offline-first: the daily update and the declaration are filled in and sent with no
connection, kept on the phone (IndexedDB) and sent once when the connection returns."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from khaibao.audit.models import AuditEvent
from khaibao.declarations.models import Declaration
from khaibao.monitoring.models import DailyUpdate
from khaibao.venues.models import CheckIn
from khaibao.venues.services import VenueInput, venue_register
from khaibao.web.tests.browser.a11y import axe_violations
from khaibao.web.tests.browser.flows import citizen_sign_in

pytestmark = pytest.mark.browser


def _ready_offline(page: Any, path: str) -> None:
    """Open `path` online once: the service worker installs, takes control, and keeps the page."""
    page.goto(path)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    # Opened again under the worker's control, so this visit is the one it keeps.
    page.reload()
    page.wait_for_function(
        "p => caches.open('kb-pages').then(c => c.match(location.origin + p)).then(r => !!r)", arg=path
    )


def test_it_sends_a_daily_update_made_offline_exactly_once(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    path = f"/people/{world.lan_self.id}/update/"
    _ready_offline(page, path)

    page.context.set_offline(True)
    page.reload()  # served by the service worker from its copy
    expect(page.locator("h1")).to_have_text(re.compile("."))
    page.check("input[name=feeling][value=unwell]")
    page.check("input[name=symptoms][value=cough]")
    page.fill("input[name=temperature]", "37.6")
    page.click("form:has(input[name=temperature]) button[type=submit]")

    outbox = page.locator("#outbox")
    expect(outbox).to_be_visible()
    expect(outbox.locator(".outbox-waiting .outbox-state")).to_have_text("Đang chờ gửi")
    assert axe_violations(page) == []
    assert not DailyUpdate.objects.filter(person=world.lan_self).exists()

    page.reload()  # still offline: the page and the queued update survive a reload
    expect(outbox.locator(".outbox-waiting")).to_have_count(1)

    page.context.set_offline(False)
    expect(outbox.locator(".outbox-sent .outbox-state")).to_have_text("Đã gửi", timeout=15_000)
    assert axe_violations(page) == []
    update = DailyUpdate.objects.get(person=world.lan_self)
    assert update.symptoms == ["cough"]
    assert str(update.temperature) == "37.6"

    # Sending the queue again (another tab, a Background Sync retry) records nothing new.
    page.evaluate("navigator.serviceWorker.controller.postMessage({type: 'flush'})")
    page.reload()
    expect(outbox.locator(".outbox-sent")).to_have_count(1)
    assert DailyUpdate.objects.filter(person=world.lan_self).count() == 1
    assert AuditEvent.objects.filter(action__startswith="daily_update.", person_id=world.lan_self.id).count() == 1


def test_it_sends_a_declaration_made_offline_exactly_once(page: Any, world: Any, sms: Any) -> None:
    today = timezone.localdate()
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    path = f"/people/{world.lan_child.id}/declare/"
    before = Declaration.objects.filter(person=world.lan_child).count()
    _ready_offline(page, path)

    page.context.set_offline(True)
    page.reload()
    page.check("input[name=symptom_fever]")
    page.fill("input[name=symptom_fever_onset]", (today - timedelta(days=1)).isoformat())
    page.check("input[name=commitment]")
    page.check("input[name=consent]")
    page.click("form button.button[type=submit]")
    expect(page.locator("#outbox .outbox-waiting .outbox-state")).to_have_text("Đang chờ gửi")

    # Back online, the page asks the worker to send; a second ask races the first.
    page.context.set_offline(False)
    page.evaluate("navigator.serviceWorker.controller.postMessage({type: 'flush'})")
    expect(page.locator("#outbox .outbox-sent .outbox-state")).to_have_text("Đã gửi", timeout=15_000)
    page.goto(f"/people/{world.lan_child.id}/")
    assert Declaration.objects.filter(person=world.lan_child).count() == before + 1
    expect(page.locator("#assessment")).to_have_class(re.compile(r"\blevel-yellow\b"))


def test_it_forgets_the_kept_forms_on_sign_out(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    _ready_offline(page, f"/people/{world.lan_self.id}/update/")
    page.goto("/")
    page.click("form[action$='/sign-out/'] button[type=submit]")
    page.wait_for_url("**/")
    page.wait_for_function("caches.has('kb-pages').then(kept => !kept)")
    page.context.set_offline(True)
    page.goto(f"/people/{world.lan_self.id}/update/")
    expect(page.locator("#offline-forms")).to_be_attached()  # the offline page, not the form
    expect(page.locator("#offline-forms li")).to_have_count(0)


def test_it_sends_a_venue_checkin_made_offline_once_with_the_time_of_the_scan(page: Any, world: Any, sms: Any) -> None:
    venue = venue_register(actor=world.nam, data=VenueInput(name="Chợ Hàng Da", kind="market", ward_code=70, street="Hàng Da"))
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    _ready_offline(page, "/checkin/")

    page.context.set_offline(True)
    page.reload()
    page.fill("input[name=venue_code]", venue.code)
    scanned = timezone.now()
    page.click("#checkin-form button[type=submit]")
    outbox = page.locator("#outbox")
    expect(outbox.locator(".outbox-waiting .outbox-state")).to_have_text("Đang chờ gửi")
    assert not CheckIn.objects.exists()
    page.wait_for_timeout(2_000)  # the check-in is sent later than it was scanned

    page.context.set_offline(False)
    expect(outbox.locator(".outbox-sent .outbox-state")).to_have_text("Đã gửi", timeout=15_000)
    checkin = CheckIn.objects.get()
    assert checkin.via == "offline"
    assert abs((checkin.at - scanned).total_seconds()) < 2
    page.evaluate("navigator.serviceWorker.controller.postMessage({type: 'flush'})")
    page.reload()
    expect(outbox.locator(".outbox-sent")).to_have_count(1)
    assert CheckIn.objects.count() == 1
