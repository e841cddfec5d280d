"""Monthly partitions of the daily-update table on PostgreSQL (migration 0007, partitions.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring import partitions, tasks
from khaibao.monitoring.models import Assessment, DailyUpdate
from khaibao.monitoring.partitions import month_add, month_start, partition_name

pytestmark = pytest.mark.postgres_only

WELL = {"symptoms": [], "temperature": None, "feeling": "well"}


def _partition_of(update_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM monitoring_dailyupdate WHERE id = %s", [update_id])
        return cursor.fetchone()[0]


def _update(person: Any, day: date) -> DailyUpdate:
    return DailyUpdate.objects.create(person=person, day=day, feeling="well", updated_as="self")


def _names() -> list[str]:
    return [p.name for p in partitions.partitions_list()]


def test_it_migrates_the_table_into_month_partitions_with_a_default(db):
    this_month = month_start(timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'monitoring_dailyupdate'")
        assert cursor.fetchone()[0] == "p"
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'monitoring_dailyupdate'::regclass "
            "AND contype IN ('p', 'u') ORDER BY contype"
        )
        assert [row[0] for row in cursor.fetchall()] == ["PRIMARY KEY (id, day)", "UNIQUE (person_id, day)"]
    names = _names()
    expected = [partition_name(month_add(this_month, i)) for i in range(-1, 4)]
    assert names == [*expected, "monitoring_dailyupdate_default"]


def test_it_keeps_the_upsert_through_the_api_and_stores_it_in_this_months_partition(world, api):
    client = api.as_(world.lan)
    first = client.put(f"/api/v1/people/{world.lan_child.id}/updates/{ago(0)}", WELL)
    second = client.put(
        f"/api/v1/people/{world.lan_child.id}/updates/{ago(0)}", {**WELL, "symptoms": ["cough"], "feeling": "unwell"}
    )
    assert (first.status_code, second.status_code) == (201, 200)
    update = DailyUpdate.objects.get(person=world.lan_child)
    assert update.symptoms == ["cough"]
    assert _partition_of(update.id) == partition_name(timezone.localdate())
    # The assessment still links to the update although no foreign key constraint can.
    assert Assessment.objects.filter(daily_update=update).count() == 2


def test_it_creates_partitions_ahead_once(db, settings):
    settings.DAILY_UPDATE_PARTITION_MONTHS_AHEAD = 6
    this_month = month_start(timezone.localdate())
    created = tasks.daily_update_partitions.call()["created"]
    assert created == [partition_name(month_add(this_month, i)) for i in (4, 5, 6)]
    assert tasks.daily_update_partitions.call()["created"] == []
    assert partition_name(month_add(this_month, 6)) in _names()


def test_it_routes_rows_to_their_month_and_moves_strays_out_of_the_default(world):
    today = timezone.localdate()
    last_month = month_add(month_start(today), -1)
    far = month_add(month_start(today), 24)
    in_month = _update(world.lan_self, last_month + timedelta(days=3))
    stray = _update(world.lan_self, far + timedelta(days=9))
    assert _partition_of(in_month.id) == partition_name(last_month)
    assert _partition_of(stray.id) == "monitoring_dailyupdate_default"

    assert partitions.partitions_ensure([far]) == [partition_name(far)]
    assert _partition_of(stray.id) == partition_name(far)
    assert DailyUpdate.objects.get(pk=stray.pk).day == far + timedelta(days=9)


def test_it_drops_only_months_wholly_past_retention(world, settings):
    settings.RETENTION_HEALTH_DAYS = 180
    horizon = timezone.localdate() - timedelta(days=180)
    straddling = month_start(horizon)
    old, older = month_add(straddling, -1), month_add(straddling, -2)
    partitions.partitions_ensure([older, old, straddling])
    gone = [_update(world.lan_self, older + timedelta(days=1)), _update(world.lan_self, old + timedelta(days=27))]
    kept_expired = _update(world.lan_self, straddling)  # before the horizon, but its month is not over
    kept = _update(world.lan_self, horizon)
    recent = _update(world.lan_self, timezone.localdate())
    linked = Assessment.objects.create(
        person=world.lan_self, source="daily_update", daily_update=gone[1], level="low", engine_level="low",
        ruleset_version="test",
    )

    dropped = tasks.daily_update_partitions.call()["dropped"]

    assert dropped == [partition_name(older), partition_name(old)]
    names = _names()
    assert partition_name(old) not in names
    assert partition_name(older) not in names
    assert partition_name(straddling) in names
    remaining = set(DailyUpdate.objects.filter(person=world.lan_self).values_list("pk", flat=True))
    assert remaining == {kept_expired.pk, kept.pk, recent.pk}
    linked.refresh_from_db()
    assert linked.daily_update_id is None
    events = AuditEvent.objects.filter(action="daily_update.partition_drop").order_by("id")
    assert [e.data["partition"] for e in events] == dropped
    assert tasks.daily_update_partitions.call()["dropped"] == []


def test_it_drops_by_the_one_horizon_the_retention_job_uses(world, settings):
    # The setting is the only source of the period: change it and the month dropped follows.
    settings.RETENTION_HEALTH_DAYS = 40
    today = timezone.localdate()
    horizon = partitions.daily_update_keep_from(today)
    assert horizon == today - timedelta(days=40)
    straddling = month_start(horizon)
    past = month_add(straddling, -1)
    partitions.partitions_ensure([past, straddling])
    stray = _update(world.lan_self, month_add(past, -2) + timedelta(days=9))  # in the default partition
    straddling_first = _update(world.lan_self, straddling)

    assert partitions.partitions_drop_expired(today=today) == [partition_name(past)]

    # What is left past the rule for the retention job's rows: only the default partition's.
    expired = set(DailyUpdate.objects.filter(partitions.daily_updates_expired(today)).values_list("pk", flat=True))
    assert expired == {stray.pk}
    assert DailyUpdate.objects.filter(pk=straddling_first.pk).exists()
    # A longer period keeps the straddling month's first day.
    settings.RETENTION_HEALTH_DAYS = 400
    assert partitions.partitions_drop_expired(today=today) == []


def test_it_prunes_partitions_for_a_day_range(world):
    this_month = month_start(timezone.localdate())
    _update(world.lan_self, this_month)
    plan = DailyUpdate.objects.filter(day__gte=this_month, day__lt=this_month + timedelta(days=7)).explain()
    assert partition_name(this_month) in plan
    others = [n for n in _names() if n != partition_name(this_month)]
    assert others
    assert not any(name in plan for name in others), plan


@pytest.mark.postgres_only
def test_the_status_table_leaves_room_for_hot_updates(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass('monitoring_personstatus')")
        (options,) = cursor.fetchone()
    assert "fillfactor=70" in (options or [])


def test_lookups_by_person_use_the_composite_indexes_only(db):
    # One index fewer per write: (person, day) and (person, -created_at) lead with person_id.
    with connection.cursor() as cursor:
        for table, composite in (("monitoring_dailyupdate", ["person_id", "day"]),
                                 ("monitoring_assessment", ["person_id", "created_at"])):
            indexes = connection.introspection.get_constraints(cursor, table)
            columns = [c["columns"] for c in indexes.values() if c["index"] or c["unique"]]
            assert ["person_id"] not in columns, table
            assert composite in columns, table


def test_audit_hashes_have_no_prefix_search_index(db):
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "audit_auditevent")
    assert [name for name, c in indexes.items() if c["columns"] == ["hash"]] == ["audit_auditevent_hash_key"]
