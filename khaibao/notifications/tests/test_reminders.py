"""The daily reminder: monitored people without today's update, once a day, from the configured hour."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from khaibao.notifications.models import ChannelPreference, Notification
from khaibao.notifications.tasks import send_daily_reminders
from khaibao.notifications.tests.helpers import monitor

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 3, 10)


def _at(hour: int, minute: int = 0, day: date = TODAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def test_it_reminds_only_monitored_people_without_todays_update(world):
    with time_machine.travel(_at(19, 5), tick=False):
        monitor(world.lan_child, until=TODAY + timedelta(days=3))  # no update yet
        monitor(world.mai_self, until=TODAY, last_update_at=_at(8))  # updated this morning
        monitor(world.hung_self, until=TODAY - timedelta(days=1))  # monitoring ended yesterday
        monitor(world.ong_tu, until=TODAY, last_update_at=_at(21, day=TODAY - timedelta(days=1)))  # yesterday only
        assert send_daily_reminders.call() == 2

    reminded = sorted(Notification.objects.values_list("person_id", "account_id"))
    assert reminded == sorted([(world.lan_child.id, world.lan.id), (world.ong_tu.id, world.volunteer.id)])
    notification = Notification.objects.get(person=world.lan_child)
    assert notification.kind == "daily_reminder"
    assert notification.link == f"/people/{world.lan_child.id}/update/"
    assert notification.dedupe_key == f"daily-reminder:2026-03-10:{world.lan_child.id}"


def test_it_reminds_at_most_once_per_person_per_day(world):
    monitor(world.lan_child, until=TODAY + timedelta(days=3))
    with time_machine.travel(_at(19, 0), tick=False):
        assert send_daily_reminders.call() == 1
    with time_machine.travel(_at(21, 30), tick=False):
        assert send_daily_reminders.call() == 0
    assert Notification.objects.count() == 1
    with time_machine.travel(_at(19, 0, day=TODAY + timedelta(days=1)), tick=False):
        assert send_daily_reminders.call() == 1
    assert Notification.objects.count() == 2


def test_it_does_not_remind_before_the_configured_hour(world, settings):
    monitor(world.lan_child, until=TODAY + timedelta(days=3))
    with time_machine.travel(_at(18, 59), tick=False):
        assert send_daily_reminders.call() == 0
    settings.DAILY_REMINDER_HOUR = 17
    with time_machine.travel(_at(17, 0), tick=False):
        assert send_daily_reminders.call() == 1


def test_it_walks_people_in_batches(world, settings):
    settings.DAILY_REMINDER_BATCH = 1
    for person in (world.lan_self, world.lan_child, world.lan_parent):
        monitor(person, until=TODAY)
    with time_machine.travel(_at(20), tick=False):
        assert send_daily_reminders.call() == 3


def test_it_respects_an_accounts_reminder_opt_out(world):
    ChannelPreference.objects.create(account=world.lan, daily_reminder=False)
    monitor(world.lan_child, until=TODAY)
    with time_machine.travel(_at(20), tick=False):
        assert send_daily_reminders.call() == 0


def test_it_reads_the_reminder_audience_from_pluggable_sources(world, settings):
    settings.DAILY_REMINDER_SOURCES = [
        "khaibao.notifications.selectors.monitored_people_without_update",
        "khaibao.notifications.tests.test_reminders.campaign_members",
    ]
    monitor(world.lan_child, until=TODAY)
    with time_machine.travel(_at(20), tick=False):
        # Lan's child comes from both sources, Mai only from the second: one reminder each.
        assert send_daily_reminders.call() == 2


def campaign_members(*, today, after_person_id, limit):
    from khaibao.people.models import Person

    wanted = Person.objects.filter(full_name__in=["Trần Minh An", "Lê Thị Mai"], pk__gt=after_person_id)
    return list(wanted.order_by("pk")[:limit])
