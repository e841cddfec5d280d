"""Issue 20 end to end in a browser: a shop owner registers a venue and prints its poster; Lan
opens the poster's URL (what the phone's camera app does with the QR code), checks herself and
her son in; a province official publishes a place covering the venue and the time, the job
runs, and both are warned and re-assessed with the new reason — while Mai, checked in earlier,
is not. The official's venue list filters and verifies. Every page passes axe at 320 px."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.monitoring.models import PersonStatus
from khaibao.notifications.models import Notification
from khaibao.venues.models import CheckIn, Venue, VenueExposureRun
from khaibao.venues.poster import checkin_url
from khaibao.venues.services import checkin_create
from khaibao.venues.tasks import venue_exposure_run
from khaibao.web.tests.browser.a11y import page_problems
from khaibao.web.tests.browser.flows import citizen_sign_in, staff_sign_in, totp_now
from khaibao.zones.inputs import PlaceInput
from khaibao.zones.places import place_declare

pytestmark = pytest.mark.browser


def _official(new_page: Any) -> Any:
    official = new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(official, username="demo-province")
    device = TOTPDevice.objects.get(user__username="demo-province", confirmed=False)
    official.fill("input[name=code]", totp_now(device))
    official.click("form:has(input[name=code]) button[type=submit]")
    official.wait_for_url(lambda url: "/staff/2fa/" not in url)
    return official


def test_it_takes_a_venue_from_its_poster_to_the_warnings(page: Any, new_page: Any, world: Any, sms: Any, settings: Any) -> None:
    settings.SMS_INBOUND_NUMBER = "8079"
    owner = new_page()
    citizen_sign_in(owner, sms, phone="0900000005", e164="+84900000005")  # Nam runs the shop
    owner.goto("/venues/new/")
    owner.fill("input[name=name]", "Tạp hoá Cô Ba")
    owner.select_option("select[name=kind]", "shop")
    owner.select_option("select[name=province]", "1")
    expect(owner.locator("select[name=ward_code] option[value='70']")).to_have_count(1)
    owner.select_option("select[name=ward_code]", "70")
    owner.fill("input[name=street]", "12 phố Hàng Bài")
    owner.fill("input[name=lat]", "21.0245")
    owner.fill("input[name=lon]", "105.8530")
    owner.click("form button.button[type=submit]")
    venue = Venue.objects.get()
    expect(owner.locator(".venue-code")).to_have_text(venue.code)
    owner.click("text=In áp phích")
    expect(owner.locator(".poster svg")).to_be_visible()
    expect(owner.locator(".poster svg")).to_contain_text(f"CHECKIN {venue.code}")
    problems = page_problems(owner, f"/venues/{venue.pk}/poster/")
    problems += page_problems(owner, f"/venues/{venue.pk}/")
    problems += page_problems(owner, "/venues/new/")

    # Mai checked in four hours ago, before the place's window.
    checkin_create(actor=world.mai, venue_code=venue.code, at=timezone.now() - timedelta(hours=4))

    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    # The QR code holds the poster's URL; a scanner or the camera app opens it.
    page.goto(urlparse(checkin_url(venue)).path)
    expect(page.locator(".venue-found")).to_contain_text("Tạp hoá Cô Ba")
    problems += page_problems(page, f"/c/{venue.code}/")
    page.check(f"input[name=person_ids][value='{world.lan_child.id}']")
    expect(page.locator(f"input[name=person_ids][value='{world.lan_self.id}']")).to_be_checked()
    page.click("#checkin-form button[type=submit]")
    page.wait_for_url("**/checkins/?done=*")
    expect(page.locator("main .notice[role=status]")).to_contain_text("Tạp hoá Cô Ba")
    assert set(CheckIn.objects.exclude(person=world.mai_self).values_list("person_id", flat=True)) == {
        world.lan_self.id, world.lan_child.id}
    problems += page_problems(page, "/checkins/")
    problems += page_problems(page, "/checkin/")

    now = timezone.now()
    place_declare(actor=world.province, data=PlaceInput(
        name="Tạp hoá Cô Ba", ward_code=70, lat=21.0245, lon=105.8530,
        window_start=now - timedelta(hours=1), window_end=now, advice_vi="Gọi 1900 9095.",
    ))
    run = VenueExposureRun.objects.get()
    venue_exposure_run.call(run.pk)
    for person in (world.lan_self, world.lan_child):
        assert "medium.venue_exposure" in PersonStatus.objects.get(person=person).reasons
    assert not Notification.objects.filter(account=world.mai, kind="venue_exposure").exists()
    page.goto("/checkins/")
    expect(page.locator("[role=alert]")).to_contain_text("Tạp hoá Cô Ba")
    page.goto(f"/people/{world.lan_child.id}/")
    expect(page.locator("main")).to_contain_text("trùng thời gian với một ca bệnh/điểm dịch")
    problems += page_problems(page, "/checkins/")

    official = _official(new_page)
    official.goto("/staff/venues/")
    official.select_option("select[name=kind]", "shop")
    official.click("form.filters button[type=submit]")
    expect(official.locator("table.venues tbody tr")).to_have_count(1)
    official.click("table.venues a")
    official.click("button[name=status][value=verified]")
    expect(official.locator("main")).to_contain_text("Đã xác minh")
    problems += page_problems(official, "/staff/venues/")
    problems += page_problems(official, f"/staff/venues/{venue.pk}/")
    problems += page_problems(official, f"/staff/cases/{world.lan_self.id}/checkins/")
    assert not problems, "\n".join(problems)
