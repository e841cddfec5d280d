"""Faults a browser found that the test client could not (review of the seeded demo in Chromium):

- an invited sub-admin could never set a password: the page sent `Referrer-Policy: no-referrer`,
  Chromium then posts with `Origin: null`, and Django's CSRF check refused it;
- three staff pages scrolled sideways on a 390 px phone: the venue page's inline poster (an A4
  SVG, ~794 px) and the bare tables of the volunteers and news pages.
"""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.news.services import AnnouncementData, announcement_create
from khaibao.orgs.models import OrgUnit
from khaibao.orgs.services import subadmin_invite
from khaibao.venues.tests.test_api_checkins import register
from khaibao.web.tests.browser.flows import staff_sign_in, totp_now

pytestmark = pytest.mark.browser
PHONE_390 = {"width": 390, "height": 844}
FITS = "document.documentElement.scrollWidth <= 390"
GOOD = "Mật-khẩu-rất-dài-2026"


def _with_second_factor(page: Any, username: str) -> None:
    staff_sign_in(page, username=username)
    device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    page.fill("input[name=code]", totp_now(device))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(lambda url: "/staff/2fa/" not in url)


def _wide(page: Any, path: str) -> str:
    response = page.goto(path)
    assert response is not None, path
    assert response.status == 200, path
    if page.evaluate(FITS):
        return ""
    return f"{path}: {page.evaluate('document.documentElement.scrollWidth')} px wide at 390 px"


def test_it_lets_an_invited_sub_admin_set_a_password_in_chromium(new_page: Any, world: Any) -> None:
    unit = OrgUnit.objects.get(path="TWD/HN/DCS-HK")
    _account, link = subadmin_invite(actor=world.org_admin, unit=unit, username="hk-admin", display_name="Bí thư HK")
    page = new_page(viewport=PHONE_390)
    page.goto(link)
    page.wait_for_url("**/set/")  # the token left the address before the form was shown
    assert link.rstrip("/").rsplit("/", 1)[-1] not in page.url
    page.fill("input[name=new_password1]", GOOD)
    page.fill("input[name=new_password2]", GOOD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/staff/sign-in/")
    expect(page.locator("body")).not_to_contain_text("Forbidden")
    staff_sign_in(page, username="hk-admin", password=GOOD)
    assert "/staff/sign-in/" not in page.url
    # The link is spent.
    response = page.goto(link)
    assert response is not None
    assert response.status == 404


def test_it_fits_the_venue_news_and_volunteer_pages_on_a_390px_phone(new_page: Any, world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    announcement_create(actor=world.province, data=AnnouncementData(
        title="Tiêm vắc-xin mũi nhắc lại cho người trên 60 tuổi", body="Lịch tiêm tại các trạm y tế phường.", province=1,
    ))
    official = new_page(viewport=PHONE_390)
    _with_second_factor(official, "demo-province")
    organisation = new_page(viewport=PHONE_390)
    staff_sign_in(organisation, username="demo-org")
    problems = [
        _wide(official, f"/staff/venues/{venue['id']}/"),
        _wide(official, "/staff/news/"),
        _wide(organisation, "/staff/volunteers/"),
    ]
    assert not [p for p in problems if p], "\n".join(problems)
    # The poster is still shown, shrunk to its card.
    official.goto(f"/staff/venues/{venue['id']}/")
    box = official.locator(".poster-small svg").bounding_box()
    assert box is not None
    assert 0 < box["width"] <= 390
