"""The pages say how long check-ins are kept as VENUE_CHECKIN_KEEP_DAYS says, not a number of their own."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.venues.tests.test_pages import citizen

EN = {"Accept-Language": "en"}


def test_it_tells_the_citizen_the_period_of_the_setting(world: Any, settings: Any) -> None:
    settings.VENUE_CHECKIN_KEEP_DAYS = 30
    lan = citizen(world.lan)
    page = lan.get("/checkin/", headers=EN).content.decode()
    assert "Check-ins are deleted after 30 days." in page
    assert "21 days" not in page
    mine = lan.get("/checkins/", headers=EN).content.decode()
    assert "in the last 30 days." in mine
    assert "No check-ins in the last 30 days." in mine
    assert "21 days" not in mine


def test_it_tells_the_official_the_period_of_the_setting(world: Any, settings: Any) -> None:
    settings.VENUE_CHECKIN_KEEP_DAYS = 30
    official = Client()
    sign_in_staff(official, world.province)
    case = official.get(f"/staff/cases/{world.lan_self.pk}/", headers=EN)
    assert case.status_code == 200
    assert "Venues this person checked in at (last 30 days)" in case.content.decode()
    checkins = official.get(f"/staff/cases/{world.lan_self.pk}/checkins/", headers=EN).content.decode()
    assert "Check-ins of the last 30 days" in checkins
    assert "This person has no check-in in the last 30 days." in checkins
    assert "21 days" not in case.content.decode() + checkins


def test_one_day_is_said_in_the_singular(world: Any, settings: Any) -> None:
    settings.VENUE_CHECKIN_KEEP_DAYS = 1
    page = citizen(world.lan).get("/checkin/", headers=EN).content.decode()
    assert "Check-ins are deleted after 1 day." in page
