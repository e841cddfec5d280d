"""The health SMS budget gives a slot back to the day it was taken for (review-seams finding 7)."""

from __future__ import annotations

from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import time_machine

from khaibao.notifications import channels
from khaibao.notifications.models import Delivery, SmsDailyCounter
from khaibao.notifications.services import notify_account
from khaibao.notifications.tasks import deliver

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BEFORE_MIDNIGHT = datetime(2026, 3, 10, 23, 59, 59, tzinfo=HCM)
AFTER_MIDNIGHT = datetime(2026, 3, 11, 0, 0, 5, tzinfo=HCM)


def _counts() -> dict[date, int]:
    return dict(SmsDailyCounter.objects.values_list("day", "sent"))


def test_it_gives_a_failed_sms_slot_back_to_the_day_it_was_taken_after_midnight(world, settings):
    settings.NOTIFY_RATE_LIMITS_PER_MINUTE = {}
    with time_machine.travel(BEFORE_MIDNIGHT, tick=False) as clock:
        notification = notify_account(account=world.lan, kind="zone_warning", title="T", body="B", sms=True)
        delivery = Delivery.objects.get(notification=notification, channel="sms")

        def slow_gateway(_delivery):
            clock.move_to(AFTER_MIDNIGHT)  # the gateway times out after midnight
            raise channels.ChannelError("SMS backend: timed out")

        with mock.patch.object(channels, "send", side_effect=slow_gateway):
            assert deliver.call(delivery.pk) == "failed"
    # Yesterday's slot is given back to yesterday; the new day gets no slot it never spent.
    assert _counts().get(date(2026, 3, 10)) == 0
    assert _counts().get(date(2026, 3, 11), 0) == 0
