"""The one-tap "I am well" carries the day it was tapped (hidden `day`, stamped by offline.js at the
tap): queued offline before midnight and sent the next morning, it is filed under the evening's day,
not the day it arrives; one too old to update is refused, so the outbox shows it refused, not sent
(review-faults 1b). The order of the outbox's replay: browser/test_outbox_order.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from khaibao.monitoring.models import DailyUpdate

OUTBOX = {"X-Khaibao-Outbox": "1"}


def _lan(world: Any) -> Client:
    client = Client()
    client.force_login(world.lan)
    return client


def test_it_renders_the_day_in_the_one_tap_form(world: Any) -> None:
    page = _lan(world).get(f"/people/{world.lan_child.id}/update/").content.decode()
    one_tap = page.split('name="well"')[0].rsplit("<form", 1)[1]
    day = re.search(r'<input type="hidden" name="day" value="([0-9-]+)" data-day-of-tap="Asia/Ho_Chi_Minh">', one_tap)
    assert day is not None
    assert day.group(1) == timezone.localdate().isoformat()


def test_it_files_a_tap_queued_before_midnight_under_its_day(world: Any) -> None:
    client = _lan(world)
    tapped = timezone.localdate()
    body = {"submission_key": "k-evening", "well": "1", "day": tapped.isoformat()}
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=True):
        resp = client.post(f"/people/{world.lan_child.id}/update/", body, headers=OUTBOX)
    assert resp.status_code == 204
    assert list(DailyUpdate.objects.filter(person=world.lan_child).values_list("day", flat=True)) == [tapped]


def test_it_refuses_a_tap_too_old_to_update_so_the_outbox_says_so(world: Any) -> None:
    client = _lan(world)
    old = timezone.localdate() - timedelta(days=2)
    body = {"submission_key": "k-old", "well": "1", "day": old.isoformat()}
    resp = client.post(f"/people/{world.lan_child.id}/update/", body, headers={**OUTBOX, "Accept-Language": "en"})
    assert resp.status_code == 400  # the outbox marks it refused, with "send again"
    assert "Only today or yesterday can be updated." in resp.content.decode()
    assert not DailyUpdate.objects.exists()
    # The same key may be sent again, corrected: nothing was recorded under it.
    body["day"] = timezone.localdate().isoformat()
    assert client.post(f"/people/{world.lan_child.id}/update/", body, headers=OUTBOX).status_code == 204


def test_a_tap_without_a_day_is_for_today(world: Any) -> None:
    resp = _lan(world).post(f"/people/{world.lan_child.id}/update/", {"well": "1"})
    assert resp.status_code == 302
    assert DailyUpdate.objects.get(person=world.lan_child).day == timezone.localdate()
