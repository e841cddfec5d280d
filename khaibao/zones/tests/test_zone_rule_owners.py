"""One owner per zone rule: whether a zone warns (isolation included) decides the location check's
"zones not checked" too (review-seams finding 8); a zone's dates become instants through
core/days.py (finding 9); the console's province filter reads an id (security finding 5)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.core.days import day_end, day_start
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones import lookup
from khaibao.zones.inputs import moment
from khaibao.zones.tests.helpers import zone_body
from khaibao.zones.zones import level_warns

BA_DINH = {"lat": 21.0358, "lon": 105.8342}  # inside Phường Ba Đình (ward 4)


def test_a_ward_only_zone_under_isolation_leaves_a_point_unchecked(world: Any, api: Any) -> None:
    # Level 1 is below the rule set's lowest warning level; isolation makes it warn its residents.
    assert level_warns(level=1, lockdown=False, isolation=True)
    resp = api.as_(world.province).post("/zones", zone_body(name="Tổ 5 Đội Cấn", level=1, isolation=True, ward_codes=[4]))
    assert resp.status_code == 201, resp.content

    answer = lookup.point_check(BA_DINH["lat"], BA_DINH["lon"], province_code=1)

    assert answer.ward_zones_unchecked is True


def test_a_ward_only_zone_that_warns_nobody_leaves_the_answer_complete(world: Any, api: Any) -> None:
    assert not level_warns(level=1, lockdown=False, isolation=False)
    resp = api.as_(world.province).post("/zones", zone_body(name="Tổ 5 Đội Cấn", level=1, ward_codes=[4]))
    assert resp.status_code == 201, resp.content
    assert lookup.point_check(BA_DINH["lat"], BA_DINH["lon"], province_code=1).ward_zones_unchecked is False


def test_it_turns_a_zones_dates_into_the_local_days_instants() -> None:
    day = date(2026, 11, 20)
    assert moment(day) == day_start(day)
    assert moment("2026-11-20", end_of_day=True) == day_end(day) - timedelta(microseconds=1)
    # Whatever time zone is active, a date and a naive time are Vietnam's (TIME_ZONE).
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert moment(day) == day_start(day)
        assert moment("2026-11-20T08:00") == datetime(2026, 11, 20, 8, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.mark.parametrize("value", ["99999999999999999999999", "9223372036854775808", "2147483648", "-1", "１"])
def test_the_console_reads_a_province_filter_too_large_as_no_filter(world: Any, value: str) -> None:
    client = Client()
    sign_in_staff(client, world.national)
    resp = client.get("/staff/zones/", {"province": value})
    assert resp.status_code == 200
    assert resp.context["province"] is None
