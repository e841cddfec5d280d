"""The refresh counts the rows written since its last run (stats/counting.py) and ends where a
recount of the whole days from nothing ends."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.models import DailyUpdate, PersonStatus
from khaibao.monitoring.partitions import DAILY_UPDATES
from khaibao.stats import counting
from khaibao.stats.models import CountedRow, CountedSource, DailyAreaRollup, DailyCodeRollup, RollupState
from khaibao.stats.services import rollup_refresh
from khaibao.stats.tests.helpers import declare, declare_risk, official_client, today, update

# The flows: what is counted run by run. The stock columns are a snapshot paced on its own
# (test_the_stock_snapshot_paces_itself…), which a recount always takes.
_AREA = ("day", "ward", "province", "declarations", "risk_declarations", "daily_updates")


def _rows() -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    areas = list(DailyAreaRollup.objects.order_by("day", "ward").values(*_AREA))
    codes = list(DailyCodeRollup.objects.order_by("day", "ward", "kind", "code").values_list("day", "ward", "kind", "code", "count"))
    return areas, codes


class _Undo(Exception):
    pass


def _recounted() -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """The rows a recount of yesterday and today from nothing gives, the database left as it was."""
    try:
        with transaction.atomic():
            rollup_refresh(days=[today() - timedelta(days=1), today()])
            rows = _rows()
            raise _Undo
    except _Undo:
        return rows


def _periodic() -> int:
    """One periodic run; the raw rows it counted."""
    return rollup_refresh()[0].counted


def test_a_run_counts_only_what_was_written_since_the_last(world, api):
    update(api, world.lan, world.lan_parent, symptoms=["cough"])
    declare(api, world.mai, world.mai_self)
    assert _periodic() == 2  # the first run recounts both days from nothing
    assert _periodic() == 0  # nothing new: nothing read again counts
    update(api, world.hoa, world.hoa_self)
    assert _periodic() == 1
    assert DailyAreaRollup.objects.get(day=today(), ward=world.ben_thanh).daily_updates == 1


def test_a_replaced_update_takes_back_what_it_added(world, api):
    update(api, world.lan, world.lan_parent, symptoms=["cough"], temperature=38.5, feeling="unwell")
    _periodic()
    assert dict(DailyCodeRollup.objects.filter(day=today(), ward=world.hoan_kiem).values_list("code", "count")) == {
        "cough": 1, "fever": 1,
    }
    update(api, world.lan, world.lan_parent, symptoms=["headache"])  # the same day: replaces it
    assert _periodic() == 1
    assert DailyAreaRollup.objects.get(day=today(), ward=world.hoan_kiem).daily_updates == 1
    assert dict(DailyCodeRollup.objects.filter(day=today(), ward=world.hoan_kiem).values_list("code", "count")) == {
        "headache": 1,
    }
    assert _rows() == _recounted()


def test_a_row_committed_late_within_the_overlap_is_counted_once(world, api):
    update(api, world.hoa, world.hoa_self)
    _periodic()
    through = RollupState.objects.get().counted_through
    # Another request's update, stamped before the last run began but committed after it.
    update(api, world.lan, world.lan_parent)
    assert timedelta(seconds=30) < counting.OVERLAP
    DailyUpdate.objects.filter(person=world.lan_parent).update(updated_at=through - timedelta(seconds=30))
    assert _periodic() == 1
    assert _periodic() == 0
    assert DailyAreaRollup.objects.get(day=today(), ward=world.hoan_kiem).daily_updates == 1


def test_a_clock_set_back_recounts_from_nothing(world, api):
    update(api, world.hoa, world.hoa_self)
    _periodic()
    RollupState.objects.update(counted_through=timezone.now() + timedelta(hours=1))
    assert _periodic() == 1  # counted again from nothing, not skipped as "before the last run"
    assert DailyAreaRollup.objects.get(day=today(), ward=world.ben_thanh).daily_updates == 1


def test_what_a_row_added_is_sealed(world, api):
    update(api, world.lan, world.lan_parent, symptoms=["cough"])
    update(api, world.hoa, world.hoa_self)
    _periodic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT added FROM stats_countedrow WHERE added IS NOT NULL")
        raw = [value for (value,) in cursor.fetchall()]
    assert len(raw) == 1
    assert "cough" not in str(raw[0])
    assert CountedRow.objects.get(source=CountedSource.DAILY_UPDATE, added__isnull=False).added == ["s__cough"]
    # A plain "well" update adds only its base count: nothing to seal.
    assert CountedRow.objects.filter(added__isnull=True).count() == 1


def test_records_of_days_no_run_counts_again_are_pruned(world, api):
    update(api, world.hoa, world.hoa_self)
    _periodic()
    CountedRow.objects.update(day=today() - timedelta(days=2))
    _periodic()
    assert not CountedRow.objects.filter(day__lt=today() - timedelta(days=1)).exists()


def test_random_activity_counted_run_by_run_equals_a_recount(world, api):
    rng = random.Random(20261207)
    people = [
        (world.lan, world.lan_self), (world.lan, world.lan_parent), (world.lan, world.lan_child),
        (world.nam, world.nam_self), (world.mai, world.mai_self), (world.hoa, world.hoa_self),
        (world.hung, world.hung_self),
    ]
    codes = ["cough", "fever", "headache", "loss_of_taste_smell"]
    for step in range(40):
        account, person = rng.choice(people)
        roll = rng.random()
        if roll < 0.55:
            update(
                api, account, person, day=today() - timedelta(days=rng.choice([0, 0, 1])),
                symptoms=rng.sample(codes, rng.randint(0, 2)),
                temperature=rng.choice([None, 36.8, 38.5]), feeling=rng.choice(["well", "unwell"]),
            )
        elif roll < 0.75:
            declare(api, account, person, symptoms=[{"code": c, "onset": ago(1)} for c in rng.sample(codes, rng.randint(0, 2))])
        elif roll < 0.85:
            declare_risk(api, account, person)
        else:
            _periodic()
            assert _rows() == _recounted(), f"step {step}"
    _periodic()
    assert _rows() == _recounted()
    assert DailyAreaRollup.objects.exists()


def test_every_partition_of_the_daily_updates_has_the_since_index(world):
    """The run's "written since" is a BRIN range on each month's partition, those made later too."""
    if connection.vendor != "postgresql":
        pytest.skip("the BRIN index and the partitions are PostgreSQL's")
    made = DAILY_UPDATES.ensure([today() + timedelta(days=800)])
    assert made
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, EXISTS (SELECT 1 FROM pg_indexes i WHERE i.tablename = c.relname"
            " AND i.indexdef ILIKE '%%USING brin (updated_at)%%')"
            " FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid WHERE h.inhparent = to_regclass(%s)",
            ["monitoring_dailyupdate"],
        )
        partitions = dict(cursor.fetchall())
    assert made[0] in partitions
    assert all(partitions.values()), partitions


def test_the_stock_snapshot_paces_itself_and_the_page_says_when_it_was_taken(world, api, time_machine):
    time_machine.move_to(today().isoformat() + "T09:00:00+07:00", tick=False)
    update(api, world.hoa, world.hoa_self)
    _periodic()
    first = RollupState.objects.get().snapshot_at
    assert first is not None
    # A snapshot that took 12 s waits 10 × 12 s before the next: the status pass is a tenth of the time.
    RollupState.objects.update(snapshot_ms=12_000)
    PersonStatus.objects.filter(person=world.hoa_self).update(level="high")
    time_machine.shift(61)
    _periodic()
    row = DailyAreaRollup.objects.get(day=today(), ward=world.ben_thanh)
    assert (row.people_high, RollupState.objects.get().snapshot_at) == (0, first)  # not retaken yet
    html = official_client(world.province_hcm).get("/staff/stats/").content.decode()
    assert "People by risk level and under monitoring as of 09:00." in html
    time_machine.shift(60)  # 121 s after the snapshot: due
    _periodic()
    assert DailyAreaRollup.objects.get(day=today(), ward=world.ben_thanh).people_high == 1
    assert RollupState.objects.get().snapshot_at > first
    assert "as of" not in official_client(world.province_hcm).get("/staff/stats/").content.decode()
