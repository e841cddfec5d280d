"""Check-ins are short-lived and the person's own (issue 20 §4): erased after the period by the
retention job, listed in "My data", gone with an erasure, never shown to the venue's operator."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import time_machine
from django.core.management import call_command
from django.utils import timezone

from khaibao.privacy.models import Erasure
from khaibao.privacy.tests.helpers import immediate_tasks
from khaibao.venues.models import CheckIn
from khaibao.venues.partitions import CHECKINS
from khaibao.venues.tests.test_api_checkins import checkin, iso, register

LAN_PHONE = "+84900000001"


def test_it_erases_checkins_after_the_period(world: Any, api: Any, settings: Any) -> None:
    venue = register(api, world.nam)
    assert checkin(api, world.lan, venue["code"], at=iso(timezone.now() - timedelta(hours=30))).status_code == 201
    assert checkin(api, world.lan, venue["code"]).status_code == 201
    with time_machine.travel(timezone.now() + timedelta(days=settings.VENUE_CHECKIN_KEEP_DAYS, hours=-1)):
        call_command("retention", stdout=io.StringIO())
        assert CheckIn.objects.count() == 1  # the one of 30 hours before is past 21 days
        recent = CheckIn.objects.get()
    later = timedelta(days=settings.VENUE_CHECKIN_KEEP_DAYS, hours=1)
    if CHECKINS.is_partitioned():
        # PostgreSQL erases by whole days: a day's partition goes once its last check-in is past.
        later += timedelta(days=1)
    with time_machine.travel(timezone.now() + later):
        call_command("retention", stdout=io.StringIO())
    assert not CheckIn.objects.filter(pk=recent.pk).exists()


def test_it_lists_checkins_in_my_data(world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    checkin(api, world.lan, venue["code"], [world.lan_child.id])
    data = api.as_(world.lan).get("/privacy/export").json()
    child = next(p for p in data["people"] if p["id"] == world.lan_child.id)
    (item,) = child["checkins"]
    assert item["venue_name"] == venue["name"]
    assert item["venue_code"] == venue["code"]


def test_it_erases_checkins_with_the_person(world: Any, api: Any, sms: Any, settings: Any) -> None:
    immediate_tasks(settings)
    venue = register(api, world.nam)
    client = api.as_(world.lan)
    checkin(api, world.lan, venue["code"], [world.lan_parent.id, world.lan_child.id])
    ask = client.post("/privacy/erasure-codes", {"person_ids": [world.lan_parent.id], "reason": "request"})
    assert ask.status_code == 201, ask.content
    confirm = client.post(f"/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)})
    assert confirm.status_code == 202, confirm.content
    assert Erasure.objects.get(person_id=world.lan_parent.id).status == "done"
    assert list(CheckIn.objects.values_list("person_id", flat=True)) == [world.lan_child.id]


def test_it_shows_the_operator_counts_never_who(world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    checkin(api, world.lan, venue["code"], [world.lan_self.id, world.lan_child.id])
    body = api.as_(world.nam).get(f"/venues/{venue['id']}").content.decode()
    assert '"checkins": 2' in body.replace('"checkins":2', '"checkins": 2')
    for name in (world.lan_self.full_name, world.lan_child.full_name):
        assert name not in body
    assert world.lan_self.full_name not in api.as_(world.nam).get("/checkins").content.decode()
