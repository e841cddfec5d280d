"""The poster's SMS line (browser review): it names the number to text, from SMS_INBOUND_NUMBER,
and is left off while no number is set — a poster never sends people to "the SMS number"."""

from __future__ import annotations

from typing import Any

from khaibao.venues.tests.test_api_checkins import register
from khaibao.venues.tests.test_pages import citizen


def _poster_page(world: Any, venue: dict[str, Any]) -> str:
    return citizen(world.nam).get(f"/venues/{venue['id']}/poster/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()


def test_it_prints_the_number_to_text_on_the_poster(world: Any, api: Any, settings: Any) -> None:
    settings.SMS_INBOUND_NUMBER = "8079"
    venue = register(api, world.nam)
    code = venue["code"]
    assert f"Nhắn tin CHECKIN {code} tới 8079." in _poster_page(world, venue)
    svg = api.as_(world.nam).get(venue["poster_url"], headers={"Accept-Language": "en"}).content.decode()
    assert f"Text CHECKIN {code} to 8079." in svg


def test_it_leaves_the_sms_line_off_without_a_number(world: Any, api: Any, settings: Any) -> None:
    settings.SMS_INBOUND_NUMBER = ""
    venue = register(api, world.nam)
    page = _poster_page(world, venue)
    assert venue["code"][:3] in page  # the poster is there, with its code
    assert "CHECKIN" not in page
    assert "tổng đài SMS" not in page
    svg = api.as_(world.nam).get(venue["poster_url"]).content.decode()
    assert "<svg" in svg
    assert "CHECKIN" not in svg
