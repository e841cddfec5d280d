"""The missed-updates job holds no status row while it computes: a row changed between its read and
its write is skipped, not clobbered, and the next run computes it again; a batch costs a fixed
number of statements; it never waits for a row a daily update holds."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.cases import missed, tasks
from khaibao.cases.tests.helpers import MISSED_DAY0, declare, lan_and_nam_monitored, missed_day, update
from khaibao.monitoring.models import LEVEL_ORDER, PersonStatus
from khaibao.monitoring.queue import escalation_bump, queue_fields
from khaibao.people.models import Person
from khaibao.risk import engine

HANOI_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
DAY0 = MISSED_DAY0


at = missed_day


def status(person: Any) -> PersonStatus:
    return PersonStatus.objects.get(person=person)


@pytest.fixture
def monitored(world: Any, api: Any) -> Any:
    """Lan and Nam, medium, under monitoring from day 0, their last update on day 0."""
    return lan_and_nam_monitored(world, api)


def between_read_and_write(monkeypatch: Any, write: Any) -> None:
    """Run `write` (another request's write) after the job computed a batch, before it writes it."""
    compute = missed._batch_refresh

    def computed_then_written_meanwhile(statuses: list[PersonStatus], **kw: Any) -> list[missed.Change]:
        changes = compute(statuses, **kw)
        write()
        return changes

    monkeypatch.setattr(missed, "_batch_refresh", computed_then_written_meanwhile)


def test_it_does_not_overwrite_a_daily_update_sent_meanwhile(monitored: Any, api: Any, monkeypatch: Any) -> None:
    w = monitored
    with at(4):
        # Read: Lan and Nam have missed 3 days — lost to follow-up. Then Lan's update for today lands.
        between_read_and_write(monkeypatch, lambda: update(api, w.lan, w.lan_self, (DAY0 + timedelta(days=4)).date().isoformat()))
        assert tasks.missed_updates_refresh.call()["changed"] == 1  # Nam only
        lan, nam = status(w.lan_self), status(w.nam_self)
        assert (lan.missed_days, lan.lost_to_followup_at, lan.escalated_at) == (0, None, None)
        assert (nam.missed_days, nam.lost_to_followup_at is not None, nam.escalated_at is not None) == (3, True, True)
        monkeypatch.undo()
        # The next run reads what the update left: nothing to change.
        assert tasks.missed_updates_refresh.call()["changed"] == 0
        assert (status(w.lan_self).missed_days, status(w.lan_self).lost_to_followup_at) == (0, None)


def test_it_skips_a_row_a_declaration_changed_meanwhile_and_writes_it_next_run(
    monitored: Any, api: Any, monkeypatch: Any
) -> None:
    w = monitored
    rules = engine.current_rules()
    step = rules.priority.level_step
    with at(4):
        # Read while Lan is medium; then she declares a confirmed contact: high.
        between_read_and_write(monkeypatch, lambda: declare(api, w.lan, w.lan_self, "high"))
        tasks.missed_updates_refresh.call()
        lan = status(w.lan_self)
        # Not the medium rank computed from the stale read: the declaration's own columns stand.
        assert (lan.level, lan.lost_to_followup_at, lan.missed_days) == ("high", None, 0)
        assert lan.queue_rank // step == LEVEL_ORDER["high"]
        monkeypatch.undo()
        assert tasks.missed_updates_refresh.call()["changed"] == 1
        lan = status(w.lan_self)
        assert lan.missed_days == 3
        assert lan.lost_to_followup_at is not None
        assert lan.escalated_at is not None
        assert lan.queue_rank == LEVEL_ORDER["high"] * step + lan.priority % step + escalation_bump(rules)
        assert queue_fields(lan, timezone.localdate(), timezone.now())["queue_rank"] == lan.queue_rank


def test_it_writes_nothing_over_values_it_did_not_read(monitored: Any) -> None:
    w = monitored
    with at(4):
        statuses = list(PersonStatus.objects.filter(person__in=[w.lan_self, w.nam_self]).order_by("person_id"))
        changes = missed._batch_refresh(statuses, today=timezone.localdate(), now=timezone.now())
        assert len(changes) == 2
        PersonStatus.objects.filter(person=w.lan_self).update(contact_level="F1")
        assert missed._changes_write(changes) == 1
        assert status(w.lan_self).missed_days == 0
        assert status(w.nam_self).missed_days == 3


def _monitored_people(n: int, ward: Any, today: date) -> list[int]:
    people = Person.objects.bulk_create(
        [Person(full_name=f"Người {i}", birth_year=1980, sex="female", home_ward=ward) for i in range(n)]
    )
    PersonStatus.objects.bulk_create([
        PersonStatus(
            person=p, level="medium", assessed_at=timezone.now() - timedelta(days=5), priority=1000,
            monitoring_from=today - timedelta(days=4), monitoring_until=today + timedelta(days=9),
            last_update_day=today - timedelta(days=4),
        )
        for p in people
    ])
    return [p.pk for p in people]


@pytest.mark.parametrize("batch", [7, 500])
def test_it_costs_a_fixed_number_of_statements_per_batch(world: Any, batch: int) -> None:
    with at(4):
        ids = _monitored_people(40, world.hoan_kiem, timezone.localdate())
        with CaptureQueriesContext(connection) as queries:
            report = missed.missed_updates_refresh(batch=batch)
        batches = -(-report.checked // batch)
        # Per batch: the status rows, the pending updates, the actions, the write; then the empty read.
        assert len(queries) <= 4 * batches + 1, [q["sql"][:120] for q in queries]
        assert report.changed >= 40
        rows = PersonStatus.objects.filter(person_id__in=ids)
        assert all(s.missed_days == 3 and s.lost_to_followup_at is not None and s.in_queue for s in rows)


def test_it_locks_no_row_it_would_wait_for(monitored: Any) -> None:
    with at(4), CaptureQueriesContext(connection) as queries:
        assert missed.missed_updates_refresh().changed == 2
    sql = [q["sql"].upper() for q in queries]
    # The read takes no lock; the only lock (PostgreSQL's write) skips a row someone holds.
    assert all(s.count("FOR UPDATE") == s.count("FOR UPDATE OF S SKIP LOCKED") for s in sql), sql
    assert not any("FOR UPDATE" in s for s in sql if s.lstrip().startswith("SELECT"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_does_not_wait_for_a_daily_update_in_progress(monitored: Any) -> None:
    w = monitored
    params = connection.settings_dict
    other = psycopg.connect(
        dbname=params["NAME"], user=params["USER"], host=params["HOST"], port=params["PORT"] or 5432,
        password=params["PASSWORD"] or None,
    )
    try:
        # Another request's transaction holds Lan's row, as a daily update does while it writes.
        other.execute("SELECT 1 FROM monitoring_personstatus WHERE person_id = %s FOR UPDATE", [w.lan_self.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # the old job waited here, and failed
        with at(4):
            assert missed.missed_updates_refresh().changed == 1  # Nam; Lan is held
        assert (status(w.lan_self).missed_days, status(w.nam_self).missed_days) == (0, 3)
        other.rollback()
        with at(4):
            assert missed.missed_updates_refresh().changed == 1
        assert status(w.lan_self).missed_days == 3
    finally:
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
