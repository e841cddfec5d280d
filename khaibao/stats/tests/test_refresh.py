from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.models import PersonStatus
from khaibao.stats.models import DailyAreaRollup, DailyCodeRollup, RollupState
from khaibao.stats.tests.helpers import declare, declare_risk, refresh, today, update


def _scenario(world: Any, api: Any) -> None:
    """Hoàn Kiếm: 3 declarations (1 risk-factor), 1 daily update; Ba Đình: 1; Sài Gòn (TP.HCM): 1."""
    declare(api, world.lan, world.lan_self, symptoms=[{"code": "fever", "onset": ago(1)}])
    declare_risk(api, world.lan, world.lan_child)
    update(api, world.lan, world.lan_parent, symptoms=["cough"], temperature=38.5, feeling="unwell")
    declare(api, world.nam, world.nam_self)
    declare(api, world.mai, world.mai_self)
    declare(api, world.hung, world.hung_self, symptoms=[{"code": "cough", "onset": ago(2)}])


def _rows(ward: Any) -> dict[str, Any]:
    row = DailyAreaRollup.objects.get(day=today(), ward=ward)
    return {
        name: getattr(row, name)
        for name in ("declarations", "risk_declarations", "daily_updates", "province_id")
    }


def _codes(ward: Any, kind: str = "symptom") -> dict[str, int]:
    return dict(DailyCodeRollup.objects.filter(day=today(), ward=ward, kind=kind).values_list("code", "count"))


def _levels(ward: Any) -> Counter[str]:
    return Counter(PersonStatus.objects.filter(person__home_ward=ward).values_list("level", flat=True))


def test_it_counts_a_small_scenario(world, api):
    _scenario(world, api)
    refresh()

    assert _rows(world.hoan_kiem) == {
        "declarations": 3, "risk_declarations": 1, "daily_updates": 1, "province_id": world.hanoi.code,
    }
    assert _rows(world.ba_dinh) == {
        "declarations": 1, "risk_declarations": 0, "daily_updates": 0, "province_id": world.hanoi.code,
    }
    assert _rows(world.sai_gon)["declarations"] == 1
    assert _rows(world.sai_gon)["province_id"] == world.hcmc.code
    assert not DailyAreaRollup.objects.filter(ward=world.ben_thanh).exists()  # no activity: no row
    # Fever: Lan's declaration and her father's 38.5 °C; cough: his update.
    assert _codes(world.hoan_kiem) == {"fever": 2, "cough": 1}
    assert _codes(world.sai_gon) == {"cough": 1}

    row = DailyAreaRollup.objects.get(day=today(), ward=world.hoan_kiem)
    levels = _levels(world.hoan_kiem)
    assert sum(levels.values()) == 4
    assert (row.people_low, row.people_medium, row.people_high, row.people_urgent) == (
        levels["low"], levels["medium"], levels["high"], levels["urgent"],
    )
    assert row.people_low < 4  # someone in Hoàn Kiếm is above low: the numbers are not all in one column
    monitored = PersonStatus.objects.filter(person__home_ward=world.hoan_kiem, monitoring_until__gte=today()).count()
    assert monitored >= 1
    assert row.under_monitoring == monitored
    assert row.snapshot_at is not None
    assert RollupState.objects.get().snapshot_day == today()


def test_it_gives_the_same_rows_when_run_again(world, api):
    _scenario(world, api)
    refresh()
    first = list(DailyAreaRollup.objects.order_by("day", "ward").values(*_COLUMNS))
    first_codes = list(DailyCodeRollup.objects.order_by("day", "ward", "kind", "code").values("ward", "code", "count"))
    refresh()
    refresh()
    assert list(DailyAreaRollup.objects.order_by("day", "ward").values(*_COLUMNS)) == first
    assert list(DailyCodeRollup.objects.order_by("day", "ward", "kind", "code").values("ward", "code", "count")) == first_codes


_COLUMNS = (
    "day", "ward", "province", "declarations", "risk_declarations", "daily_updates", "people_low",
    "people_medium", "people_high", "people_urgent", "under_monitoring", "missed_updates",
)


def test_it_follows_new_activity_and_drops_areas_that_fall_to_zero(world, api):
    update(api, world.hoa, world.hoa_self)
    refresh()
    assert DailyAreaRollup.objects.get(day=today(), ward=world.ben_thanh).daily_updates == 1
    update(api, world.hoa, world.hoa_self, symptoms=["headache"], feeling="unwell")  # replaces the update
    declare(api, world.hoa, world.hoa_self)
    refresh()
    row = DailyAreaRollup.objects.get(day=today(), ward=world.ben_thanh)
    assert (row.daily_updates, row.declarations) == (1, 1)
    assert _codes(world.ben_thanh) == {"headache": 1}


def _noon(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def test_it_counts_by_the_local_day_and_keeps_yesterdays_snapshot(world, api):
    yesterday = today() - timedelta(days=1)
    with time_machine.travel(_noon(yesterday), tick=False):
        declare(api, world.mai, world.mai_self)
        refresh()
    snapshot = DailyAreaRollup.objects.get(day=yesterday, ward=world.ba_dinh)
    assert snapshot.declarations == 1
    assert snapshot.people_low + snapshot.people_medium + snapshot.people_high + snapshot.people_urgent == 1

    # 23:30 UTC is already the next morning in Hà Nội (UTC+7): today's row, not yesterday's.
    with time_machine.travel(_noon(today()).replace(hour=6, minute=30), tick=False):
        declare(api, world.lan, world.lan_self)
        refresh()
    assert DailyAreaRollup.objects.get(day=yesterday, ward=world.ba_dinh).declarations == 1
    assert not DailyAreaRollup.objects.filter(day=yesterday, ward=world.hoan_kiem).exists()
    assert DailyAreaRollup.objects.get(day=today(), ward=world.hoan_kiem).declarations == 1

    again = DailyAreaRollup.objects.get(day=yesterday, ward=world.ba_dinh)
    assert (again.people_low, again.people_medium, again.snapshot_at) == (
        snapshot.people_low, snapshot.people_medium, snapshot.snapshot_at,
    )


def test_it_backfills_days_from_the_command(world, api):
    declare(api, world.mai, world.mai_self)
    out = StringIO()
    call_command("stats_refresh", "--days", "3", stdout=out)
    assert out.getvalue().count("\n") == 3
    assert f"{today().isoformat()}: 1 ward rows" in out.getvalue()
    assert DailyAreaRollup.objects.get(day=today(), ward=world.ba_dinh).declarations == 1

    DailyAreaRollup.objects.all().delete()
    call_command("stats_refresh", "--date", today().isoformat(), stdout=StringIO())
    assert DailyAreaRollup.objects.get(day=today(), ward=world.ba_dinh).declarations == 1


@pytest.mark.parametrize(
    "args",
    [["--date", "2026-02-30"], ["--date", "tomorrow"], ["--days", "0"], ["--days", "400"],
     ["--days", "2", "--date", "2026-01-01"]],
)
def test_it_refuses_bad_command_arguments(world, args):
    with pytest.raises(CommandError):
        call_command("stats_refresh", *args, stdout=StringIO(), stderr=StringIO())
    assert not DailyAreaRollup.objects.exists()


def test_it_refuses_a_future_date(world):
    with pytest.raises(CommandError):
        call_command("stats_refresh", "--date", (today() + timedelta(days=1)).isoformat(), stdout=StringIO())


def test_it_is_scheduled_every_30_seconds():
    assert ("khaibao.stats.tasks.stats_refresh", 30) in settings.PERIODIC_TASKS
