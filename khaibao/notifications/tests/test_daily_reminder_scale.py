"""The daily reminder at national scale: a batch costs a fixed number of queries, whatever its
size and however many of its people were reminded already (a 500k-person world measured ~3
queries per person and a source query that re-read the status table from id 0 every batch)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.notifications.models import ChannelPreference, Delivery, Notification, WebPushSubscription
from khaibao.notifications.tasks import send_daily_reminders
from khaibao.notifications.tests.helpers import monitor
from khaibao.people.models import HouseholdMembership, Person

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 3, 10)


def _evening(day: date = TODAY, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, 20, minute, tzinfo=VN)


def _family(world: Any, count: int, *, until: date) -> list[Person]:
    """`count` monitored people in Lan's household (Lan looks after each)."""
    people = []
    for index in range(count):
        person = Person.objects.create(
            full_name=f"Nguyễn Văn Con {index}", birth_year=2010, sex="male", home_ward=world.hoan_kiem,
        )
        HouseholdMembership.objects.create(owner=world.lan, person=person, relation="child")
        monitor(person, until=until)
        people.append(person)
    return people


def _run() -> tuple[int, int]:
    """(reminders created, queries run) for one run of the job."""
    with CaptureQueriesContext(connection) as queries:
        created = send_daily_reminders.call()
    return created, len(queries.captured_queries)


def test_a_batch_costs_the_same_queries_for_two_people_as_for_ten(world, settings):
    settings.DAILY_REMINDER_BATCH = 100
    _family(world, 2, until=TODAY + timedelta(days=1))
    with time_machine.travel(_evening(), tick=False):
        few, few_queries = _run()
    _family(world, 8, until=TODAY + timedelta(days=1))
    with time_machine.travel(_evening(TODAY + timedelta(days=1)), tick=False):
        many, many_queries = _run()
    assert (few, many) == (2, 10)
    assert many_queries == few_queries
    assert many_queries <= 12


def test_people_reminded_already_cost_nothing_on_the_next_run(world, settings):
    settings.DAILY_REMINDER_BATCH = 100
    _family(world, 10, until=TODAY)
    with time_machine.travel(_evening(), tick=False):
        assert _run()[0] == 10
    with time_machine.travel(_evening(minute=10), tick=False):
        created, queries = _run()
    assert created == 0
    assert queries == 1  # the source's one query, which finds nobody left
    assert Notification.objects.filter(kind="daily_reminder").count() == 10


def test_a_source_listing_people_reminded_already_costs_a_fixed_number_of_queries(world, settings):
    settings.DAILY_REMINDER_BATCH = 100
    settings.DAILY_REMINDER_SOURCES = ["khaibao.notifications.tests.test_daily_reminder_scale.everyone_monitored"]
    _family(world, 10, until=TODAY)
    with time_machine.travel(_evening(), tick=False):
        assert _run()[0] == 10
    with time_machine.travel(_evening(minute=10), tick=False):
        created, queries = _run()
    assert created == 0
    # The source's two queries (a batch, then the empty one), then the carers and the day's
    # reminders of the whole batch: not ~3 per person.
    assert queries <= 4


def test_a_batch_reminds_each_carer_once_in_their_language_on_their_channels(world, settings):
    settings.DAILY_REMINDER_BATCH = 100
    settings.DAILY_REMINDER_SMS = True
    ChannelPreference.objects.create(account=world.lan, language="en", sms=False)
    WebPushSubscription.objects.create(account=world.lan, endpoint="https://push.example/1", p256dh="k", auth="a")
    _family(world, 2, until=TODAY)
    monitor(world.ong_tu, until=TODAY)
    with time_machine.travel(_evening(), tick=False):
        assert _run()[0] == 3
    lan = Notification.objects.filter(account=world.lan).order_by("person_id")
    assert [n.title for n in lan] == ["Time for today's health update"] * 2
    assert lan[0].body.startswith("Please send today's daily health update for 0")
    assert set(Delivery.objects.filter(notification__account=world.lan).values_list("channel", flat=True)) == {"webpush"}
    volunteer = Notification.objects.get(account=world.volunteer)
    assert volunteer.person_id == world.ong_tu.id
    assert volunteer.dedupe_key == f"daily-reminder:2026-03-10:{world.ong_tu.id}"
    assert "Tư" in volunteer.body
    assert set(Delivery.objects.filter(notification=volunteer).values_list("channel", flat=True)) == {"sms"}


def everyone_monitored(*, today, after_person_id, limit):
    from khaibao.monitoring.models import PersonStatus

    ids = PersonStatus.objects.filter(monitoring_until__gte=today, person_id__gt=after_person_id).values("person_id")
    return list(Person.objects.filter(pk__in=ids).order_by("pk")[:limit])
