"""Across midnight the periodic refresh still counts the day before yesterday while its window
reaches back into yesterday (stats/services.py `counted_days`): an update for yesterday replaced in
the last seconds before midnight, or a worker down for days, ends where a recount of the days from
nothing ends."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.core.overload import rush_reset
from khaibao.stats.models import CountedRow, DailyAreaRollup, DailyCodeRollup
from khaibao.stats.services import CATCH_UP_DAYS, rollup_refresh
from khaibao.stats.tests.helpers import declare, today, update

COUGH = {"symptoms": ["cough"], "feeling": "unwell"}


def _at(time_machine: Any, day: date, h: int, m: int, s: int, *, plus: int = 0) -> None:
    tz = timezone.get_current_timezone()
    time_machine.move_to(datetime(day.year, day.month, day.day, h, m, s, tzinfo=tz) + timedelta(seconds=plus), tick=False)
    rush_reset()  # a clock jumping hours is no queue of requests (core/overload.py)


def _rows(days: list[date]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    areas = list(
        DailyAreaRollup.objects.filter(day__in=days).order_by("day", "ward")
        .values_list("day", "ward", "declarations", "risk_declarations", "daily_updates")
    )
    codes = list(
        DailyCodeRollup.objects.filter(day__in=days, kind="symptom").order_by("day", "ward", "code")
        .values_list("day", "ward", "code", "count")
    )
    return areas, codes


class _Undo(Exception):
    pass


def _recounted(days: list[date]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows a recount of `days` from nothing gives, the database left as it was."""
    try:
        with transaction.atomic():
            rollup_refresh(days=days)
            rows = _rows(days)
            raise _Undo
    except _Undo:
        return rows


def _days(results: list[Any]) -> list[date]:
    return [result.day for result in results]


def test_yesterdays_update_replaced_just_before_midnight_is_counted(world, api, settings, time_machine):
    settings.RUSH_MODE = False
    eve = today() + timedelta(days=2)  # "D-1": its last run at 23:59:50
    before = eve - timedelta(days=1)  # "D-2": yesterday on D-1, the day before yesterday after midnight
    _at(time_machine, eve, 12, 0, 0)
    update(api, world.lan, world.lan_self, day=before)
    update(api, world.hoa, world.hoa_self, day=before, **COUGH)
    rollup_refresh()
    _at(time_machine, eve, 23, 59, 50)
    rollup_refresh()  # the last run of D-1
    _at(time_machine, eve, 23, 59, 58)
    update(api, world.lan, world.lan_self, day=before, **COUGH)  # still "yesterday": replaces it
    for plus in (20, 50, 80):
        _at(time_machine, eve, 23, 59, 59, plus=plus)
        rollup_refresh()
    assert DailyAreaRollup.objects.get(day=before, ward=world.hoan_kiem).daily_updates == 1
    assert dict(DailyCodeRollup.objects.filter(day=before, kind="symptom").values_list("ward", "count")) == {
        world.hoan_kiem.pk: 1, world.ben_thanh.pk: 1,
    }
    days = [before, eve, eve + timedelta(days=1)]
    assert _rows(days) == _recounted(days)
    # Once no run reads back into D-1, the records of D-2 go, and later runs count nothing twice.
    for plus in (110, 140):
        _at(time_machine, eve, 23, 59, 59, plus=plus)
        rollup_refresh()
    assert not CountedRow.objects.filter(day=before).exists()
    assert _rows(days) == _recounted(days)


def test_a_row_for_yesterday_committed_after_the_first_run_past_midnight_is_counted(world, api, settings, time_machine):
    settings.RUSH_MODE = False
    eve = today() + timedelta(days=2)
    before = eve - timedelta(days=1)
    _at(time_machine, eve, 23, 59, 40)
    update(api, world.lan, world.lan_self, day=before)
    rollup_refresh()
    _at(time_machine, eve, 23, 59, 59, plus=11)  # 00:00:10: the first run of the new day
    rollup_refresh()
    # Stamped 23:59:57, committed after that run (within the overlap).
    _at(time_machine, eve, 23, 59, 57)
    update(api, world.lan, world.lan_self, day=before, **COUGH)
    _at(time_machine, eve, 23, 59, 59, plus=41)
    rollup_refresh()
    days = [before, eve]
    assert dict(DailyCodeRollup.objects.filter(day=before, kind="symptom").values_list("code", "count")) == {"cough": 1}
    assert _rows(days) == _recounted(days)


def test_a_worker_down_across_midnights_counts_every_day_since_its_last_run(world, api, settings, time_machine):
    settings.RUSH_MODE = False
    first = today() + timedelta(days=1)
    _at(time_machine, first, 12, 0, 0)
    update(api, world.lan, world.lan_self, day=first)
    rollup_refresh()  # the worker's last run, then nothing for two and a half days
    _at(time_machine, first, 18, 0, 0)
    update(api, world.hoa, world.hoa_self, day=first, **COUGH)
    _at(time_machine, first + timedelta(days=1), 8, 0, 0)
    update(api, world.lan, world.lan_self, day=first, **COUGH)  # replaced the next morning
    update(api, world.nam, world.nam_self, day=first + timedelta(days=1), **COUGH)
    declare(api, world.mai, world.mai_self)
    _at(time_machine, first + timedelta(days=2), 9, 0, 0)
    update(api, world.hoa, world.hoa_self, day=first + timedelta(days=2))
    back = first + timedelta(days=3)
    _at(time_machine, back, 0, 10, 0)
    results = rollup_refresh()
    days = [first + timedelta(days=n) for n in range(4)]
    assert _days(results) == [first - timedelta(days=1), *days]  # from the day before its last run's
    assert dict(DailyCodeRollup.objects.filter(day=first, kind="symptom").values_list("ward", "count")) == {
        world.hoan_kiem.pk: 1, world.ben_thanh.pk: 1,
    }
    assert DailyAreaRollup.objects.filter(day=first + timedelta(days=1)).aggregate(
        n=Sum("daily_updates"), d=Sum("declarations"),
    ) == {"n": 1, "d": 1}
    assert _rows(days) == _recounted(days)


def test_a_worker_down_longer_than_the_catch_up_counts_a_bounded_number_of_days(world, settings, time_machine, caplog):
    settings.RUSH_MODE = False
    start = today() + timedelta(days=1)
    _at(time_machine, start, 12, 0, 0)
    rollup_refresh()
    _at(time_machine, start + timedelta(days=30), 12, 0, 0)
    results = rollup_refresh()
    assert _days(results) == [start + timedelta(days=30 - n) for n in range(CATCH_UP_DAYS, -1, -1)]
    assert "stats_refresh --date" in caplog.text


def _raw_reads(queries: list[dict[str, str]]) -> int:
    return sum("dailyupdate" in q["sql"] or "declarations_declaration" in q["sql"] for q in queries)


def test_only_the_runs_whose_window_reaches_back_past_midnight_count_a_third_day(world, api, settings, time_machine):
    settings.RUSH_MODE = False
    eve = today() + timedelta(days=2)
    _at(time_machine, eve, 12, 0, 0)
    update(api, world.lan, world.lan_self)
    rollup_refresh()
    _at(time_machine, eve, 12, 0, 30)
    with CaptureQueriesContext(connection) as ordinary:
        results = rollup_refresh()
    assert _days(results) == [eve - timedelta(days=1), eve]  # an ordinary run: two days
    _at(time_machine, eve, 23, 59, 50)
    rollup_refresh()
    seen = []
    for plus in (20, 50, 80, 110):  # windows from 23:58:50, 23:59:19, 23:59:49, 00:00:19
        _at(time_machine, eve, 23, 59, 59, plus=plus)
        with CaptureQueriesContext(connection) as run:
            seen.append(_days(rollup_refresh()))
        # The day before yesterday is read in the same statements, not more of them.
        assert _raw_reads(run.captured_queries) == _raw_reads(ordinary.captured_queries)
    new = eve + timedelta(days=1)
    three, two = [eve - timedelta(days=1), eve, new], [eve, new]
    assert seen == [three, three, three, two]
