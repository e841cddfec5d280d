"""Check-ins partitioned by day on PostgreSQL (issue 20 item 5; migration 0003, venues/partitions.py).

The venues' other tests (check in, list, delete, exposure runs, "My data", erasure, retention)
run on the partitioned table too when the suite runs on PostgreSQL."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.venues import tasks
from khaibao.venues.models import CheckIn
from khaibao.venues.partitions import CHECKINS, checkin_keep_from
from khaibao.venues.sealing import venue_index, venue_seal
from khaibao.venues.tests.test_api_checkins import checkin, register

pytestmark = pytest.mark.postgres_only


def _partition_of(checkin_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM venues_checkin WHERE id = %s", [checkin_id])
        return cursor.fetchone()[0]


def _names() -> list[str]:
    return [p.name for p in CHECKINS.partitions()]


def _checkin(person: Any, day: Any, venue_id: int = 1) -> CheckIn:
    at = timezone.make_aware(datetime.combine(day, time(10, 30)))
    return CheckIn.objects.create(
        person=person, venue_index=venue_index(venue_id), venue_sealed=venue_seal(venue_id), at=at, day=day, via="scan"
    )


def test_it_migrates_the_table_into_day_partitions_with_a_default(db: Any, settings: Any) -> None:
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'venues_checkin'")
        assert cursor.fetchone()[0] == "p"
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'venues_checkin'::regclass AND contype = 'p'"
        )
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, day)"
        indexes = connection.introspection.get_constraints(cursor, "venues_checkin")
        # Nothing may reference a check-in by id alone: no foreign key points at the table.
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE confrelid = 'venues_checkin'::regclass")
        assert cursor.fetchone()[0] == 0
    assert {"checkin_venue_at", "checkin_person_at", "checkin_at"} <= set(indexes)
    keep = settings.VENUE_CHECKIN_KEEP_DAYS
    expected = [CHECKINS.name_of(today + timedelta(days=n)) for n in range(-keep, 4)]
    assert _names() == [*expected, "venues_checkin_default"]


def test_it_stores_a_checkin_in_its_days_partition(world: Any, api: Any) -> None:
    venue = register(api, world.nam)
    resp = checkin(api, world.lan, venue["code"], [world.lan_self.id])
    assert resp.status_code == 201, resp.content
    (made,) = resp.json()["checkins"]
    assert _partition_of(made["id"]) == CHECKINS.name_of(timezone.localdate())
    tomorrow = _checkin(world.lan_child, timezone.localdate() + timedelta(days=1))
    assert _partition_of(tomorrow.pk) == CHECKINS.name_of(timezone.localdate() + timedelta(days=1))
    # The services read and delete by id on the partitioned table.
    assert {c["id"] for c in api.as_(world.lan).get("/checkins").json()["checkins"]} >= {made["id"]}
    assert api.as_(world.lan).delete(f"/checkins/{made['id']}").status_code == 204
    assert not CheckIn.objects.filter(pk=made["id"]).exists()


def test_it_creates_days_ahead_and_moves_strays_out_of_the_default(world: Any, settings: Any) -> None:
    settings.VENUE_CHECKIN_PARTITION_DAYS_AHEAD = 6
    today = timezone.localdate()
    stray = _checkin(world.lan_self, today + timedelta(days=5))
    assert _partition_of(stray.pk) == "venues_checkin_default"

    created = tasks.checkin_partitions.call()["created"]

    assert created == [CHECKINS.name_of(today + timedelta(days=n)) for n in (4, 5, 6)]
    assert _partition_of(stray.pk) == CHECKINS.name_of(today + timedelta(days=5))
    assert CheckIn.objects.get(pk=stray.pk).day == today + timedelta(days=5)
    assert tasks.checkin_partitions.call()["created"] == []


def test_it_drops_only_days_wholly_past_the_keep_period_and_audits(world: Any, settings: Any) -> None:
    today = timezone.localdate()
    horizon = checkin_keep_from(today)
    assert horizon == today - timedelta(days=settings.VENUE_CHECKIN_KEEP_DAYS)
    older, old = horizon - timedelta(days=2), horizon - timedelta(days=1)
    CHECKINS.ensure([older, old])
    gone = [_checkin(world.lan_self, older), _checkin(world.lan_child, old), _checkin(world.lan_self, old)]
    kept = [_checkin(world.lan_self, horizon), _checkin(world.lan_self, today)]

    dropped = tasks.checkin_partitions.call()["dropped"]

    assert dropped == [CHECKINS.name_of(older), CHECKINS.name_of(old)]
    names = _names()
    assert CHECKINS.name_of(old) not in names
    assert CHECKINS.name_of(horizon) in names
    assert "venues_checkin_default" in names
    assert set(CheckIn.objects.values_list("pk", flat=True)) == {c.pk for c in kept}
    assert not CheckIn.objects.filter(pk__in=[c.pk for c in gone]).exists()
    events = AuditEvent.objects.filter(action="checkin.partition_drop").order_by("id")
    assert [(e.data["partition"], e.data["rows"]) for e in events] == [(dropped[0], 1), (dropped[1], 2)]
    assert tasks.checkin_partitions.call()["dropped"] == []


def test_retention_drops_whole_days_and_purges_the_default_row_by_row(world: Any, settings: Any) -> None:
    today = timezone.localdate()
    horizon = checkin_keep_from(today)
    CHECKINS.ensure([horizon - timedelta(days=1)])
    _checkin(world.lan_self, horizon - timedelta(days=1))  # in its day partition
    in_default = _checkin(world.lan_child, horizon - timedelta(days=30))  # no partition that old
    kept = _checkin(world.lan_self, horizon)
    assert _partition_of(in_default.pk) == "venues_checkin_default"

    call_command("retention", stdout=io.StringIO())

    assert list(CheckIn.objects.values_list("pk", flat=True)) == [kept.pk]
    assert CHECKINS.name_of(horizon - timedelta(days=1)) not in _names()
    assert AuditEvent.objects.filter(action="checkin.partition_drop").count() == 1
    retention = AuditEvent.objects.filter(action="privacy.retention").latest("id")
    assert retention.data["counts"]["venue_checkins"] == 1  # only the default partition's row


def test_an_exposure_run_reads_only_the_windows_day_partitions(world: Any) -> None:
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time(8)))
    plan = (
        CheckIn.objects.filter(
            venue_index=venue_index(1), at__gte=start, at__lte=start + timedelta(hours=4),
            day__gte=today - timedelta(days=1), day__lte=today + timedelta(days=1),
        ).explain()
    )
    read = [name for name in _names() if name in plan]
    assert CHECKINS.name_of(today) in read
    assert len(read) <= 4, plan  # the window's days and the default, not every day kept
