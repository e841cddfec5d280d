"""Destructive buttons lead to a confirmation page first (review: one click used to act): a
citizen's Delete on a check-in and an organisation admin's Revoke on a volunteer. Cancel goes
back with nothing changed; the page's own button acts. The confirmation page passes axe at 320 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from khaibao.people.models import VolunteerAppointment
from khaibao.venues.models import CheckIn
from khaibao.venues.services import VenueInput, checkin_create, venue_register
from khaibao.web.tests.browser.a11y import page_problems
from khaibao.web.tests.browser.flows import citizen_sign_in, staff_sign_in

pytestmark = pytest.mark.browser


def test_it_deletes_a_check_in_only_after_confirming(page: Any, world: Any, sms: Any) -> None:
    venue = venue_register(actor=world.nam, data=VenueInput(name="Tạp hoá Cô Ba", kind="shop", ward_code=70,
                                                            street="12 phố Hàng Bài"))
    checkin_create(actor=world.lan, venue_code=venue.code, person_ids=[world.lan_child.pk])
    checkin = CheckIn.objects.get()
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    page.goto("/checkins/")
    page.click(f"#checkin-{checkin.pk} a.button")
    page.wait_for_url(f"**/checkins/{checkin.pk}/delete/")
    expect(page.locator("main h1")).to_contain_text(world.lan_child.full_name)
    problems = page_problems(page, f"/checkins/{checkin.pk}/delete/")
    page.click("main form a.button.secondary")  # Cancel
    page.wait_for_url("**/checkins/")
    assert CheckIn.objects.filter(pk=checkin.pk).exists()
    page.click(f"#checkin-{checkin.pk} a.button")
    page.click("main form button.danger")
    page.wait_for_url("**/checkins/")
    expect(page.locator(f"#checkin-{checkin.pk}")).to_have_count(0)
    assert not CheckIn.objects.filter(pk=checkin.pk).exists()
    assert not problems, "\n".join(problems)


def test_it_revokes_a_volunteer_only_after_confirming(new_page: Any, world: Any) -> None:
    appointment = VolunteerAppointment.objects.get(account=world.volunteer)
    admin = new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(admin, username="demo-org")
    admin.goto("/staff/volunteers/")
    admin.click(f"a[href='/staff/volunteers/{appointment.pk}/revoke/']")
    admin.wait_for_url(f"**/staff/volunteers/{appointment.pk}/revoke/")
    expect(admin.locator("main h1")).to_contain_text("Trần Thu Hà")
    appointment.refresh_from_db()
    assert appointment.revoked_at is None
    admin.click("main form button.danger")
    admin.wait_for_url("**/staff/volunteers/")
    appointment.refresh_from_db()
    assert appointment.revoked_at is not None


def test_the_confirmation_page_fits_a_phone(page: Any, world: Any) -> None:
    appointment = VolunteerAppointment.objects.get(account=world.volunteer)
    staff_sign_in(page, username="demo-org")
    problems = page_problems(page, f"/staff/volunteers/{appointment.pk}/revoke/")
    assert not problems, "\n".join(problems)
