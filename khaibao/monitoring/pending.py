"""Rush mode's worker side (decision D, docs/decisions/0008): the daily updates stored first are
assessed in set-based batches, within 60 s.

Under overload (core/overload.py) a daily update is stored first (`daily_update_store`: the update,
a `PendingAssessment` row and the audit event in one statement) and answered 202. The periodic task
`pending_assessments_run` (every 5 s) drains them here, batch after batch, each batch in one
transaction:

1. claim up to RUSH_BATCH_SIZE pending rows, oldest first, `FOR UPDATE SKIP LOCKED` (several
   workers share the backlog without waiting on each other);
2. lock their people's status rows, in person order, and read every input of their assessments
   in one statement (monitoring/inputs.py, `assessment_inputs_many`);
3. run the risk engine per person (pure, in memory: `assessment_compute`, the same rule as a
   synchronous update, decision C included);
4. write set-based: one INSERT of the assessments that changed, one UPDATE of the status rows, one
   INSERT of the audit events (`daily_update.assess`, one per person, naming the updates) and one
   DELETE of the claimed rows.

A pending row disappears only in the transaction that assessed it: a crash rolls both back and a
later batch assesses it — so every acknowledged update is assessed once, never twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.audit.services import audit_event
from khaibao.core import rowsql
from khaibao.core.counters import counter_add, counters_since
from khaibao.core.schedule import period_of
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.monitoring.assessment import assessment_compute
from khaibao.monitoring.inputs import AssessmentInputs, assessment_inputs_many
from khaibao.monitoring.models import (
    STATUS_COLUMNS,
    Assessment,
    DailyUpdate,
    PendingAssessment,
    PersonStatus,
    Source,
)
from khaibao.people.access import processing_allowed_q
from khaibao.people.models import Person

# Operational counters (core/counters.py): updates acknowledged in rush mode and assessed by the
# worker (one addition per batch, never per request: the requests are the overload).
ASSESSED_COUNTER = "rush.assessed"
# The periodic task that drains the backlog (monitoring/tasks.py; its period is in PERIODIC_TASKS).
RUN_TASK: Final = "khaibao.monitoring.tasks.pending_assessments_run"
# A run stops starting new batches after this long, leaving the worker to its other jobs; the
# next run goes on.
RUN_BUDGET_SECONDS = 20.0


def pending_poll_seconds() -> int:
    """When whoever waits for an assessment should look again: the worker's period, no sooner
    (a client asking more often only adds load to a service that is already busy). The 202's and
    the poll's Retry-After and the status page's refresh all say this."""
    return period_of(RUN_TASK)


@dataclass(frozen=True)
class BatchResult:
    updates: int  # pending rows assessed (acknowledged updates)
    people: int
    changed: int  # Assessment rows written (decision C: only changes)
    # Pending rows dropped unassessed: their person's processing stopped (`assessable_q`).
    dropped: int = 0


def assessable_q() -> Q:
    """People the worker may still assess: everyone whose processing has not stopped (consent
    withdrawn or erasure asked for: people.access `processing_allowed_q`). Withdrawing consent
    deletes the pending rows (privacy.erasure.processing_stop); this also leaves out a row written
    by an update that raced the withdrawal, which would otherwise bring a status row — and a
    triage-queue entry — back for a person nobody may process any more."""
    return processing_allowed_q()


def pending_assess_batch(*, limit: int | None = None, now: datetime | None = None) -> BatchResult:
    """Assess one batch of daily updates stored first (oldest first), in one transaction."""
    limit = limit or settings.RUSH_BATCH_SIZE
    with transaction.atomic():
        claimed = list(
            PendingAssessment.objects.select_for_update(skip_locked=True).order_by("queued_at", "daily_update_id")[
                :limit
            ]
        )
        if not claimed:
            return BatchResult(0, 0, 0)
        now = now or timezone.now()
        by_person: dict[int, list[PendingAssessment]] = {}
        for row in claimed:
            by_person.setdefault(row.person_id, []).append(row)
        people = list(
            Person.objects.filter(assessable_q(), pk__in=by_person).only("id", "birth_year", "home_ward_id")
        )
        # The claimed rows of anyone left out go with the others, unassessed.
        dropped = sum(len(by_person[pk]) for pk in set(by_person) - {p.pk for p in people})
        since = timezone.localdate(now) - timedelta(days=current_questionnaire().lookback_days)
        inputs = assessment_inputs_many(people, since=since)
        changes: list[Assessment] = []
        statuses: list[PersonStatus] = []
        events: list[AuditEvent] = []
        for person in people:
            _assess(person, by_person[person.pk], inputs[person.pk], now, changes, events)
            statuses.append(inputs[person.pk].status)
        Assessment.objects.bulk_create(changes)
        rowsql.update_many(statuses, STATUS_COLUMNS)  # bulk_update's CASE WHEN cost ~10 ms a person
        AuditEvent.objects.bulk_create(events)
        PendingAssessment.objects.filter(daily_update_id__in=[r.daily_update_id for r in claimed]).delete()
        counter_add(ASSESSED_COUNTER, len(claimed) - dropped, now=now)
    return BatchResult(len(claimed) - dropped, len(people), len(changes), dropped)


def _assess(
    person: Person, rows: Sequence[PendingAssessment], inputs: AssessmentInputs, now: datetime,
    changes: list[Assessment], events: list[AuditEvent],
) -> None:
    # The newest update the batch holds for the person links the assessment; every pending update
    # of the person is read by it (the inputs hold all recent updates).
    latest = max(rows, key=lambda r: (r.day, r.queued_at))
    status = inputs.status
    updated_before = status.last_update_at
    assessment, changed = assessment_compute(
        person=person, inputs=inputs, source=Source.DAILY_UPDATE, now=now, declaration=None,
        daily_update=DailyUpdate(pk=latest.daily_update_id, person_id=person.pk, day=latest.day),
        needs_attention=False,
    )
    # The update was sent when it was queued, not when the worker got to it: "updated today"
    # (reminders, compliance) must not move to the next day for an update sent at 23:59.
    sent = max(r.queued_at for r in rows)
    status.last_update_at = max(sent, updated_before) if updated_before else sent
    if changed:
        changes.append(assessment)
    event = audit_event(
        actor=None, action="daily_update.assess", person_id=person.pk,
        data={"updates": sorted(r.daily_update_id for r in rows)},
    )
    event.object_type, event.object_id = DailyUpdate.__name__, str(latest.daily_update_id)
    events.append(event)


def pending_assess_all(*, budget_seconds: float = RUN_BUDGET_SECONDS) -> dict[str, int]:
    """Batches until nothing is pending or the budget is spent: what the periodic task runs."""
    started = time.monotonic()
    totals = {"updates": 0, "people": 0, "changed": 0, "dropped": 0, "batches": 0}
    while time.monotonic() - started < budget_seconds:
        result = pending_assess_batch()
        if not result.updates and not result.dropped:
            break
        totals["batches"] += 1
        totals["updates"] += result.updates
        totals["people"] += result.people
        totals["changed"] += result.changed
        totals["dropped"] += result.dropped
    return totals


# --- Reads -----------------------------------------------------------------------------------


def update_pending(person_id: int, day: date) -> bool:
    """Whether the person's update of `day` waits for its assessment (the poll: GET …/updates/{day})."""
    return PendingAssessment.objects.filter(person_id=person_id, day=day).exists()


def person_pending_since(person_id: int) -> datetime | None:
    """When the person's oldest daily update still waiting for its assessment was received, or
    None when none waits (the status page says so, with that time)."""
    return PendingAssessment.objects.filter(person_id=person_id).aggregate(since=Min("queued_at"))["since"]


def pending_backlog(*, now: datetime) -> dict[str, Any]:
    """For /healthz (settings.HEALTH_BACKLOG_SOURCES) and the officials' health page: how many
    daily updates wait for their assessment, how long the oldest has waited, and how many the
    worker assessed in the last hour (rush mode is on while any waits)."""
    waiting = PendingAssessment.objects.aggregate(n=Count("daily_update_id"), oldest=Min("queued_at"))
    oldest = waiting["oldest"]
    assessed = counters_since([ASSESSED_COUNTER], now - timedelta(hours=1))[ASSESSED_COUNTER]
    return {
        "rush_pending_assessments": int(waiting["n"] or 0),
        "oldest_pending_assessment_seconds": round(max(0.0, (now - oldest).total_seconds()), 1) if oldest else 0.0,
        "rush_assessed_last_hour": assessed,
    }
