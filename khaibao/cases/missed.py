"""The missed-updates job (cập nhật bị bỏ lỡ): missed days, escalation, lost to follow-up; and
the queue columns' backfill.

The job runs every 5 minutes over everyone under monitoring (millions at national scale) while
the daily-update hot path writes the same status rows. So it never holds a status row while it
computes: each keyset batch is read without locks, the new values are computed in Python with
the queue's rules (monitoring/queue.py), and only the rows that change are written, by a write
guarded on every column the computation read. A row a daily update, a declaration or an
official's action changed in between is skipped, not clobbered, and the next run (5 minutes
later) computes it again from what it then holds. Holding the rows locked instead made the hot
path's writes wait on the job (p99 ~850 ms while it ran, ~147 ms without locks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from khaibao.cases.models import ActionKind, FollowUpAction
from khaibao.core import rowsql
from khaibao.monitoring.assessment import person_status_home_fill
from khaibao.monitoring.models import PendingAssessment, PersonStatus
from khaibao.monitoring.queue import ESCALATE_AFTER_DAYS, missed_run, queue_apply, under_monitoring

# What the job writes.
WRITTEN: Final = ("missed_days", "escalated_at", "lost_to_followup_at", "in_queue", "queue_rank", "queue_since")
# What its computation read of the row (missed_run, the lost rule, queue_apply's reasons and rank),
# compared again by the write. `last_activity_at` and `assessed_at` are read for no rule: every
# official's action stamps the first and every assessment the second, so an action committed
# after the job read the actions (`_last_actions`) also makes the write skip the row.
GUARDED: Final = (
    "monitoring_from", "monitoring_until", "last_update_day", "last_update_at", "last_activity_at",
    "assessed_at", "level", "priority", "needs_attention", "contact_level", "is_f0", *WRITTEN,
)


@dataclass(frozen=True)
class MissedReport:
    checked: int
    changed: int


@dataclass(frozen=True)
class Change:
    """A row's new values (WRITTEN) and the values of GUARDED its computation read."""

    person_id: int
    read: tuple[Any, ...]
    new: tuple[Any, ...]


def lost_after_days() -> int:
    return int(getattr(settings, "FOLLOWUP_LOST_AFTER_DAYS", 3))


def _last_update_days(statuses: Sequence[PersonStatus], today: date) -> dict[int, date]:
    # Every assessed daily update (web, API, SMS, a volunteer's, the rush worker's) raises
    # `last_update_day` in the transaction that writes it (monitoring/assessment.py `_status_apply`,
    # statements.py's GREATEST). One stored first in rush mode waits for the worker without
    # touching the row: its PendingAssessment row (deleted in the transaction that raises the
    # column) stands for it meanwhile — a small table, read by person.
    days = {s.person_id: s.last_update_day for s in statuses if s.last_update_day is not None}
    pending = (
        PendingAssessment.objects.filter(person_id__in=[s.person_id for s in statuses], day__lte=today)
        .values("person_id").annotate(last=Max("day")).values_list("person_id", "last")
    )
    for person_id, day in pending:
        days[person_id] = max(day, days.get(person_id, day))
    return days


def _last_actions(ids: list[int]) -> dict[int, datetime]:
    return dict(
        FollowUpAction.objects.filter(person_id__in=ids)
        .exclude(kind=ActionKind.LOST_TO_FOLLOWUP)
        .values("person_id").annotate(last=Max("at")).values_list("person_id", "last")
    )


def _batch_refresh(statuses: list[PersonStatus], *, today: date, now: datetime) -> list[Change]:
    """The changes of one batch read without locks: computed in memory, nothing written."""
    last_update = _last_update_days(statuses, today)
    last_action = _last_actions([s.person_id for s in statuses])
    lost_after = lost_after_days()
    changes = []
    for status in statuses:
        read = tuple(getattr(status, name) for name in GUARDED)
        if under_monitoring(status, today) and status.monitoring_from is not None:
            updated = last_update.get(status.person_id)
            missed = missed_run(
                last_day_with_update=updated, start=status.monitoring_from, until=status.monitoring_until,  # type: ignore[arg-type]
                today=today,
            )
            acted_at = last_action.get(status.person_id)
            acted = timezone.localdate(acted_at) if acted_at is not None else None
            # Days without contact: like missed days, but an official's action also counts as contact.
            contact = missed_run(
                last_day_with_update=max(filter(None, [updated, acted]), default=None),
                start=status.monitoring_from, until=status.monitoring_until, today=today,  # type: ignore[arg-type]
            )
        else:
            missed = contact = 0
        status.missed_days = min(missed, 32767)
        if contact >= ESCALATE_AFTER_DAYS and status.escalated_at is None:
            status.escalated_at = now
        if contact >= lost_after:
            status.lost_to_followup_at = status.lost_to_followup_at or now
        elif status.lost_to_followup_at is not None:
            # Marked lost (by this job or by an official): only contact since then ends it.
            lost_at = status.lost_to_followup_at
            acted_at = last_action.get(status.person_id)
            if (status.last_update_at and status.last_update_at > lost_at) or (acted_at and acted_at > lost_at):
                status.lost_to_followup_at = None
        queue_apply(status, today, now)
        new = tuple(getattr(status, name) for name in WRITTEN)
        if new != read[-len(WRITTEN):]:
            changes.append(Change(status.person_id, read, new))
    return changes


# PostgreSQL: one statement per batch. Only the changed rows are locked, each for the statement's
# few milliseconds and only when nobody holds it (SKIP LOCKED: a hot-path transaction writing
# that row right now is never waited for, and the job never deadlocks with the rush worker, which
# locks many status rows at once); a row whose guarded columns differ from what the job read is
# left out. Both kinds are picked up by the next run. Chosen over an UPDATE that waits for row
# locks (it could hold a batch's rows in a plan's order while waiting) and over a locking SELECT
# then an UPDATE (two round trips inside a transaction).
_PG_WRITE: Final = """
WITH v ({names}) AS (VALUES {rows}),
locked AS MATERIALIZED (
    SELECT s.person_id FROM monitoring_personstatus s JOIN v ON v.person_id = s.person_id
    WHERE {guard} ORDER BY s.person_id FOR UPDATE OF s SKIP LOCKED
)
UPDATE monitoring_personstatus s SET {sets} FROM v
WHERE s.person_id = v.person_id AND s.person_id IN (SELECT person_id FROM locked)
"""
# SQLite (development, tests) locks the whole database per write: the same guard, row by row,
# sent at once.
_SQLITE_WRITE: Final = "UPDATE monitoring_personstatus SET {sets} WHERE person_id = %s AND {guard}"


def _params(names: Sequence[str], values: Sequence[Any]) -> list[Any]:
    return [rowsql.param(PersonStatus, name, value) for name, value in zip(names, values, strict=True)]


def _pg_casts() -> list[str]:
    fields = [PersonStatus._meta.get_field(name) for name in ("person_id", *GUARDED, *WRITTEN)]
    return [f"%s::{field.db_type(connection)}" for field in fields]  # type: ignore[union-attr]


def _changes_write(changes: Sequence[Change]) -> int:
    """Write `changes` where each row still holds what was read; the number of rows written."""
    if not changes:
        return 0
    if connection.vendor == "postgresql":
        names = ["person_id", *(f"r_{n}" for n in GUARDED), *(f"n_{n}" for n in WRITTEN)]
        row = "(" + ", ".join(_pg_casts()) + ")"
        sql = _PG_WRITE.format(
            names=", ".join(names), rows=", ".join([row] * len(changes)),
            guard=" AND ".join(f"s.{n} IS NOT DISTINCT FROM v.r_{n}" for n in GUARDED),
            sets=", ".join(f"{n} = v.n_{n}" for n in WRITTEN),
        )
        params = [
            p for c in changes
            for p in [c.person_id, *_params(GUARDED, c.read), *_params(WRITTEN, c.new)]
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.rowcount)
    sql = _SQLITE_WRITE.format(
        sets=", ".join(f"{n} = %s" for n in WRITTEN), guard=" AND ".join(f"{n} IS %s" for n in GUARDED)
    )
    rows = [[*_params(WRITTEN, c.new), c.person_id, *_params(GUARDED, c.read)] for c in changes]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        return int(cursor.rowcount)


def missed_updates_refresh(*, now: datetime | None = None, batch: int = 500) -> MissedReport:
    """Recompute missed days, escalation (2 days without contact) and lost to follow-up
    (settings.FOLLOWUP_LOST_AFTER_DAYS days without contact) for everyone under monitoring,
    and reset them for people whose monitoring ended. Idempotent; keyset batches by person
    id, each read without locks and written where nothing changed meanwhile (module docstring):
    `changed` counts the rows written, a row skipped is written by a later run.

    "Contact" is a daily update or an official's follow-up action (other than marking the
    person lost): an official who acted resets the lost-to-follow-up clock.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    checked = changed = 0
    last_id = 0
    relevant = (
        Q(monitoring_until__gte=today)
        | Q(missed_days__gt=0)
        | Q(lost_to_followup_at__isnull=False)
    )
    while True:
        statuses = list(
            PersonStatus.objects.filter(relevant, person_id__gt=last_id)
            .only(*GUARDED).order_by("person_id")[:batch]
        )
        if not statuses:
            break
        changed += _changes_write(_batch_refresh(statuses, today=today, now=now))
        checked += len(statuses)
        last_id = statuses[-1].person_id
    return MissedReport(checked=checked, changed=changed)


def queue_backfill(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Recompute home ward/province and the queue columns of every status row (e.g. after a
    rule change). Keyset batches by person id."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_id = 0
    done = 0
    while True:
        with transaction.atomic():
            statuses = list(
                PersonStatus.objects.select_for_update().select_related("person")
                .filter(person_id__gt=last_id).order_by("person_id")[:batch]
            )
            if not statuses:
                return done
            for status in statuses:
                person_status_home_fill(status, status.person)
                queue_apply(status, today, now)
                status.save(update_fields=["home_ward", "home_province", "in_queue", "queue_rank", "queue_since"])
            done += len(statuses)
            last_id = statuses[-1].person_id


__all__ = ["MissedReport", "lost_after_days", "missed_updates_refresh", "queue_backfill"]
