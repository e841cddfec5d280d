"""A publishing form posted twice with its submission key publishes once (core/submissions.py):
a double click or a resubmit after a slow answer used to declare a second zone — a second
warning run, so every carer got each inbox message and SMS twice. The second post gets the first
one's redirect and writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.news.models import Announcement
from khaibao.news.tests.helpers import sign_in_staff
from khaibao.orgs.models import Campaign, OrgUnit
from khaibao.venues.models import Venue
from khaibao.zones.models import Place, PlaceVersion, Zone, ZoneVersion, ZoneWarningRun

HOAN_KIEM = "70"


def _staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def _key(client: Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    found = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page.content.decode())
    assert found, "the form carries no submission key"
    return found.group(1)


def _twice(client: Client, url: str, form: dict[str, Any]) -> None:
    """The form as rendered, posted twice: the second post answers as the first did."""
    body = {**form, "submission_key": _key(client, url)}
    first = client.post(url, body)
    assert first.status_code == 302, first.content.decode()[:2000]
    again = client.post(url, body)
    assert again.status_code == 302
    assert again["Location"] == first["Location"]


def _zone(**extra: Any) -> dict[str, Any]:
    return {"name": "Phường Hoàn Kiếm – ổ dịch", "level": "4", "wards": [HOAN_KIEM], "step": "publish",
            "advice_vi": "Ở nhà", "advice_en": "", **extra}


def _place(**extra: Any) -> dict[str, Any]:
    now = timezone.localtime()
    return {"name": "Chợ Hàng Da", "ward": HOAN_KIEM, "radius_m": "100",
            "window_start": (now - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "window_end": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "advice_vi": "Gọi đường dây nóng.",
            **extra}


def test_a_zone_published_twice_is_one_zone_and_one_warning_run(world: Any) -> None:
    client = _staff(world.province)
    _twice(client, f"/staff/zones/new/?province={world.hanoi.code}", _zone())
    assert Zone.objects.count() == 1
    assert ZoneWarningRun.objects.count() == 1


def test_a_zone_changed_twice_is_one_new_version(world: Any) -> None:
    client = _staff(world.province)
    _twice(client, f"/staff/zones/new/?province={world.hanoi.code}", _zone())
    zone = Zone.objects.get()
    _twice(client, f"/staff/zones/{zone.pk}/edit/", _zone(level="3"))
    assert list(ZoneVersion.objects.filter(zone=zone).order_by("number").values_list("level", flat=True)) == [4, 3]


def test_a_place_published_and_changed_twice_is_one_place_with_one_change(world: Any) -> None:
    client = _staff(world.province)
    _twice(client, f"/staff/zones/places/new/?province={world.hanoi.code}", _place())
    place = Place.objects.get()
    _twice(client, f"/staff/zones/places/{place.pk}/edit/", _place(name="Chợ Đồng Xuân"))
    assert PlaceVersion.objects.filter(place=place).count() == 2


def test_news_published_twice_is_one_item(world: Any) -> None:
    _twice(_staff(world.province), "/staff/news/new/",
           {"kind": "announcement", "province": str(world.hanoi.pk), "title": "Tiêm chủng", "body": "Lịch tiêm."})
    assert Announcement.objects.count() == 1


def test_a_campaign_created_twice_is_one_campaign(world: Any) -> None:
    unit = OrgUnit.objects.get(path="TWD/HN")
    today = timezone.localdate()
    _twice(_staff(world.org_admin), f"/staff/orgs/{unit.pk}/campaigns/new/", {
        "name": "Chiến dịch", "starts_on": today.isoformat(), "deadline": (today + timedelta(days=7)).isoformat(),
        "target_declared": "on", "reminder_policy": "in_app"})
    assert Campaign.objects.count() == 1


def test_a_venue_registered_twice_is_one_venue(world: Any) -> None:
    before = Venue.objects.count()
    _twice(_staff(world.org_admin), "/staff/orgs/venues/new/", {
        "name": "Hội trường Thành đoàn", "kind": "office", "province": 1, "ward_code": HOAN_KIEM,
        "street": "5 Đinh Lễ", "contact_phone": "0912000111", "lat": "", "lon": ""})
    assert Venue.objects.count() == before + 1


@pytest.mark.parametrize("url", ["/staff/zones/new/", "/staff/zones/places/new/"])
def test_a_refused_post_stores_nothing_and_its_correction_publishes(world: Any, url: str) -> None:
    client = _staff(world.province)
    key = _key(client, url)
    form = _zone() if "places" not in url else _place()
    assert client.post(url, {**form, "name": "", "submission_key": key}).status_code == 400
    assert client.post(url, {**form, "submission_key": key}).status_code == 302
    assert Zone.objects.count() + Place.objects.count() == 1
