"""The daily-reminder switch says what it controls: the hour is the setting's, and it stops the
daily update's reminder only — an organisation's campaign reminders are the organisation's."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client
from django.utils import translation

from khaibao.accounts.phones import phone_index
from khaibao.notifications.labels import daily_reminder_switch_label, daily_reminder_switch_scope
from khaibao.notifications.models import Notification
from khaibao.notifications.tasks import send_daily_reminders
from khaibao.notifications.tests.helpers import monitor
from khaibao.orgs.models import Campaign, Member, OrgUnit, ReminderPolicy
from khaibao.orgs.reminder_batches import KIND_CAMPAIGN_REMINDER, campaign_reminder_send

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 3, 10)


def _page(account: Any) -> str:
    client = Client()
    client.force_login(account)
    return client.get("/notifications/preferences/", headers={"Accept-Language": "en"}).content.decode()


def test_the_switch_names_the_configured_hour_and_what_it_leaves_alone(world: Any, settings: Any) -> None:
    settings.DAILY_REMINDER_HOUR = 17
    html = _page(world.lan)
    assert "Remind me at 17:00 to send the daily update" in html
    assert "in the evening" not in html
    assert "Reminders from your organisation&#x27;s campaigns are not affected by this switch." in html
    assert 'aria-describedby="id_daily_reminder_helptext"' in html
    assert html.count('id="id_daily_reminder_helptext"') == 1
    assert html.count("are not affected by this switch") == 1
    settings.DAILY_REMINDER_HOUR = 8
    assert "Remind me at 8:00 to send the daily update" in _page(world.lan)
    with translation.override("en"):
        assert daily_reminder_switch_label() == "Remind me at 8:00 to send the daily update"
        assert "campaigns" in daily_reminder_switch_scope()


def test_turned_off_it_stops_the_daily_reminder_not_the_campaigns(world: Any) -> None:
    client = Client()
    client.force_login(world.lan)
    resp = client.post("/notifications/preferences/", {"language": "vi"})  # every box unticked
    assert resp.status_code == 302
    with time_machine.travel(datetime(2026, 3, 10, 19, 5, tzinfo=VN), tick=False):
        monitor(world.lan_child, until=TODAY + timedelta(days=3))
        send_daily_reminders.call()
        assert not Notification.objects.filter(account=world.lan, kind="daily_reminder").exists()

        unit = OrgUnit.objects.create(code="CTY", name="Công ty Demo")
        campaign = Campaign.objects.create(
            unit=unit, name="Cập nhật hằng ngày", starts_on=TODAY - timedelta(days=1), deadline=TODAY + timedelta(days=5),
            reminder_policy=ReminderPolicy.IN_APP,
        )
        line = Member.objects.create(
            unit=unit, full_name="Lan", phone=world.lan.phone, phone_index=phone_index(world.lan.phone),
            person=world.lan_self, account=world.lan,
        )
        assert campaign_reminder_send(campaign=campaign, member=line, day=TODAY)
    assert Notification.objects.filter(account=world.lan, kind=KIND_CAMPAIGN_REMINDER).count() == 1
