"""The Content-Security-Policy (no inline script or style) breaks nothing on the main pages.

Chromium enforces the policy the server sends; every violation fires a
`securitypolicyviolation` event and a console error. Each role's main pages are visited with
a listener for both, and the pages' scripts are checked to have run (map drawn, scanner shown,
chart styles applied), so a page that silently lost its JavaScript or CSS fails too.
"""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from khaibao.stats.tests.helpers import declare, refresh, update
from khaibao.web.tests.browser.flows import citizen_sign_in, staff_sign_in, totp_now

pytestmark = pytest.mark.browser

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""
WIDE = {"width": 1280, "height": 900}


class Watch:
    """Collects CSP violations of a page across navigations (events and console errors)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.found: list[str] = []
        page.context.add_init_script(LISTEN)
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.found.append(f"{self.page.url}: {message.text}")

    def visit(self, path: str) -> Any:
        resp = self.page.goto(path, wait_until="load")
        assert resp is not None
        assert resp.status == 200, (path, resp.status)
        assert "unsafe-inline" not in resp.headers["content-security-policy"]
        self.page.wait_for_timeout(150)  # deferred scripts and their first requests
        self.collect()
        return resp

    def collect(self) -> None:
        self.found.extend(f"{self.page.url}: {v}" for v in self.page.evaluate("window.__csp || []"))

    def assert_clean(self) -> None:
        self.collect()
        assert self.found == []


def test_it_shows_the_public_pages_without_a_policy_violation(page: Any, world: Any) -> None:
    watch = Watch(page)
    for path in ("/", "/sign-in/", "/zones/check/", "/news/", "/reports/track/", "/staff/sign-in/"):
        watch.visit(path)
    watch.visit("/zones/")
    # zones-map.js and Leaflet ran: the map container is drawn (tiles are offline here).
    page.wait_for_selector(".leaflet-container")
    watch.visit("/reports/new/")
    page.wait_for_selector(".leaflet-container")
    watch.visit("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info", state="attached")
    watch.assert_clean()


def test_it_shows_the_citizen_pages_without_a_policy_violation(page: Any, world: Any, api: Any, sms: Any) -> None:
    declare(api, world.lan, world.lan_self, symptoms=[])
    watch = Watch(page)
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    person = world.lan_self.id
    for path in (
        "/",
        "/household/",
        "/household/add/",
        f"/people/{person}/",
        f"/people/{person}/declare/",
        f"/people/{person}/risk/",
        f"/people/{person}/update/",
        "/notifications/",
        "/notifications/preferences/",
        "/reports/",
        "/memberships/",
    ):
        watch.visit(path)
    watch.visit(f"/people/{person}/")
    # The QR pass is an <img> of an SVG document: it must load and draw.
    page.wait_for_selector(".qr img")
    assert page.evaluate("document.querySelector('.qr img').naturalWidth") > 0
    watch.assert_clean()


def test_it_shows_the_volunteer_pages_without_a_policy_violation(page: Any, world: Any, sms: Any) -> None:
    watch = Watch(page)
    citizen_sign_in(page, sms, phone="0900000009", e164="+84900000009")
    watch.visit("/volunteer/")
    watch.visit("/volunteer/passes/")
    # print-button.js ran: the print button is shown only when it can work.
    assert page.locator("button[data-print]").is_visible()
    watch.assert_clean()


def test_it_shows_the_console_without_a_policy_violation(
    new_page: Any, world: Any, api: Any, sms: Any
) -> None:
    declare(api, world.lan, world.lan_self, symptoms=[{"code": "fever", "onset": str(_yesterday())}])
    update(api, world.lan, world.lan_parent, symptoms=["cough"])
    refresh()
    official = new_page(viewport=WIDE)
    watch = Watch(official)
    staff_sign_in(official, username="demo-province")
    watch.visit("/staff/2fa/")
    device = TOTPDevice.objects.get(user__username="demo-province", confirmed=False)
    official.fill("input[name=code]", totp_now(device))
    official.click("form:has(input[name=code]) button[type=submit]")
    official.wait_for_url(lambda url: "/staff/2fa/" not in url)
    for path in (
        "/staff/",
        "/staff/cases/",
        f"/staff/cases/{world.lan_self.id}/",
        "/staff/zones/",
        "/staff/zones/new/",
        "/staff/news/",
        "/staff/news/new/",
        "/staff/exports/",
        "/staff/break-glass/",
        "/staff/reports/",
    ):
        watch.visit(path)
    watch.visit("/staff/stats/")
    # The charts' stylesheet applied (served from /staff/stats/charts.css, not inline):
    # pygal's lines are not filled, and its axis text has the chart font size.
    assert official.locator(".chart svg").count() >= 3
    assert official.evaluate(
        "getComputedStyle(document.querySelector('.pygal-chart .plot .background')).fill"
    ) == "rgb(255, 255, 255)"
    # htmx is on the page and did not inject its indicator <style> (blocked by CSP otherwise).
    assert official.evaluate("typeof window.htmx") == "object"
    assert official.evaluate("document.querySelectorAll('style').length") == 0
    watch.assert_clean()


def test_it_shows_the_checkpoint_and_organisation_pages_without_a_policy_violation(
    new_page: Any, world: Any
) -> None:
    checkpoint = new_page(viewport=WIDE)
    watch = Watch(checkpoint)
    staff_sign_in(checkpoint, username="demo-checkpoint")
    watch.visit("/staff/verify/")
    # verify-scanner.js ran and offers the camera (BarcodeDetector or the html5-qrcode fallback).
    checkpoint.wait_for_selector("#scanner:not([hidden])")
    # Starting the camera loads the scanner library (or BarcodeDetector) and asks for the camera,
    # which this headless browser has not: the page says so, with nothing blocked on the way.
    checkpoint.click("#scanner-start")
    checkpoint.wait_for_selector("#scanner-status:not(:empty)", state="attached")
    if not checkpoint.evaluate("'BarcodeDetector' in window"):
        assert checkpoint.evaluate("typeof window.Html5Qrcode") == "function"  # loaded under the CSP
    checkpoint.fill("#verify-form [name=token]", "not-a-pass")
    checkpoint.click("#verify-form button[type=submit]")
    checkpoint.wait_for_selector("#verify-result")
    watch.assert_clean()

    admin = new_page(viewport=WIDE)
    watch = Watch(admin)
    staff_sign_in(admin, username="demo-org")
    for path in ("/staff/", "/staff/orgs/", "/staff/compliance/", "/staff/volunteers/"):
        watch.visit(path)
    watch.assert_clean()


def _yesterday() -> Any:
    from datetime import timedelta

    from django.utils import timezone

    return timezone.localdate() - timedelta(days=1)
