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

**A person who cannot be assessed** (bad stored data, a rule-set bug, a time limit on their inputs)
must not hold the backlog: a failed batch would roll back and the next run would claim the same
oldest rows again, for ever. So when a batch fails, the same rows are claimed again and assessed
person by person, each in a savepoint (`_assess_one_by_one`): everyone else commits, and the failing
person's rows are marked (`attempts`, `failed_at`) and left out of the claim until `retry_at`
(RETRY_BASE_SECONDS, doubling). After MAX_ATTEMPTS failures they are given up (`gave_up_at`): no
longer claimed nor counted as waiting, but kept — the update itself is stored — and counted apart on
/healthz and the officials' health page (`pending_backlog`), logged as an error; the person's status
row records the update as sent (`_record_sent`), so they are neither reminded nor counted as missing
it, and their page shows the assessment in force instead of "assessing" for ever. The good path
stays one set-based batch; the one-by-one path runs only after a failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, Q
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
# A person whose assessment fails is tried again after 30 s, 1, 2 and 4 min, then given up (about
# 7.5 min after the first failure): long enough for a lock or a time limit to pass, short enough
# for officials to learn of a real fault within the 60 s promise's order of magnitude.
RETRY_BASE_SECONDS = 30
MAX_ATTEMPTS = 5
# The backlog is counted up to this many rows (`pending_backlog`): enough to tell a rush from a
# trickle, and a count that stays within /healthz's time bound however large the backlog grows.
BACKLOG_COUNT_CAP = 100_000

logger = logging.getLogger(__name__)


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
    # Pending rows whose assessment failed in this batch (marked for a retry, or given up).
    failed: int = 0


def assessable_q() -> Q:
    """People the worker may still assess: everyone whose processing has not stopped (consent
    withdrawn or erasure asked for: people.access `processing_allowed_q`). Withdrawing consent
    deletes the pending rows (privacy.erasure.processing_stop); this also leaves out a row written
    by an update that raced the withdrawal, which would otherwise bring a status row — and a
    triage-queue entry — back for a person nobody may process any more."""
    return processing_allowed_q()


def claimable_q(now: datetime) -> Q:
    """Pending rows the worker may claim at `now`: not given up, and not waiting out the back-off
    of a failed assessment."""
    return Q(gave_up_at__isnull=True) & (Q(retry_at__isnull=True) | Q(retry_at__lte=now))


def _claim(limit: int, now: datetime) -> list[PendingAssessment]:
    return list(
        PendingAssessment.objects.select_for_update(skip_locked=True)
        .filter(claimable_q(now))
        .order_by("queued_at", "daily_update_id")[:limit]
    )


def pending_assess_batch(*, limit: int | None = None, now: datetime | None = None) -> BatchResult:
    """Assess one batch of daily updates stored first (oldest first), in one transaction; if that
    fails, the same batch person by person, so that one person who cannot be assessed holds back
    nobody else (module docstring)."""
    limit = limit or settings.RUSH_BATCH_SIZE
    now = now or timezone.now()
    try:
        with transaction.atomic():
            claimed = _claim(limit, now)
            if not claimed:
                return BatchResult(0, 0, 0)
            return _assess_claimed(claimed, now)
    except Exception:
        # Whatever failed (one person's data, the rules, a time limit), the one-by-one pass finds
        # whom it concerns; a database that is down fails that pass's claim too, and raises.
        logger.warning("rush batch of %d failed; assessing person by person", limit, exc_info=True)
    return _assess_one_by_one(limit, now)


def _assess_claimed(claimed: Sequence[PendingAssessment], now: datetime) -> BatchResult:
    """Assess the people of the `claimed` rows, set-based, in the caller's transaction."""
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


def _assess_one_by_one(limit: int, now: datetime) -> BatchResult:
    """The failed batch again, each person in a savepoint, in person order (the order the batch
    locks status rows in): the people who fail are marked, the others committed."""
    totals = BatchResult(0, 0, 0)
    with transaction.atomic():
        by_person: dict[int, list[PendingAssessment]] = {}
        for row in _claim(limit, now):
            by_person.setdefault(row.person_id, []).append(row)
        for person_id in sorted(by_person):
            rows = by_person[person_id]
            try:
                with transaction.atomic():
                    one = _assess_claimed(rows, now)
            except Exception:
                logger.warning("rush assessment failed for person %s", person_id, exc_info=True)
                _mark_failed(rows, now)
                one = BatchResult(0, 0, 0, failed=len(rows))
            totals = BatchResult(
                totals.updates + one.updates, totals.people + one.people, totals.changed + one.changed,
                totals.dropped + one.dropped, totals.failed + one.failed,
            )
    return totals


def _mark_failed(rows: Sequence[PendingAssessment], now: datetime) -> None:
    """Record a failed assessment on the person's pending rows: retry after the back-off, or give
    up after MAX_ATTEMPTS (kept, counted on the health page, and the update recorded as sent)."""
    attempts = max(r.attempts for r in rows) + 1
    ids = [r.daily_update_id for r in rows]
    if attempts < MAX_ATTEMPTS:
        retry_at = now + timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (attempts - 1))
        PendingAssessment.objects.filter(daily_update_id__in=ids).update(
            attempts=F("attempts") + 1, failed_at=now, retry_at=retry_at
        )
        return
    PendingAssessment.objects.filter(daily_update_id__in=ids).update(
        attempts=F("attempts") + 1, failed_at=now, retry_at=None, gave_up_at=now
    )
    logger.error(
        "rush assessment given up after %d attempts: person %s, daily updates %s",
        attempts, rows[0].person_id, sorted(ids),
    )
    _record_sent(rows)


def _record_sent(rows: Sequence[PendingAssessment]) -> None:
    # The update is stored and was sent: "updated today" (reminders, organisations' counts, the
    # person's pages) must say so even though it could not be assessed. Only the two columns the
    # sending sets, as `assessment._status_apply` sets them; the assessment in force stays.
    person_id = rows[0].person_id
    # Created where missing, as the batch does (assessment_inputs_many); its creation rolled back.
    PersonStatus.objects.bulk_create([PersonStatus(person_id=person_id)], ignore_conflicts=True)
    status = PersonStatus.objects.select_for_update().get(person_id=person_id)
    sent, day = max(r.queued_at for r in rows), max(r.day for r in rows)
    status.last_update_at = max(sent, status.last_update_at) if status.last_update_at else sent
    if status.last_update_day is None or day > status.last_update_day:
        status.last_update_day = day
    status.save(update_fields=["last_update_at", "last_update_day"])


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
    totals = {"updates": 0, "people": 0, "changed": 0, "dropped": 0, "failed": 0, "batches": 0}
    while time.monotonic() - started < budget_seconds:
        result = pending_assess_batch()
        # Failed rows wait out their back-off, so the next batch claims the rows behind them.
        if not result.updates and not result.dropped and not result.failed:
            break
        totals["batches"] += 1
        totals["updates"] += result.updates
        totals["people"] += result.people
        totals["changed"] += result.changed
        totals["dropped"] += result.dropped
        totals["failed"] += result.failed
    return totals


# --- Reads -----------------------------------------------------------------------------------


# A given-up row no longer waits: nobody will assess it unless it is handed back (`pending_retry_given_up`).
_WAITING = Q(gave_up_at__isnull=True)


def update_pending(person_id: int, day: date) -> bool:
    """Whether the person's update of `day` waits for its assessment (the poll: GET …/updates/{day})."""
    return PendingAssessment.objects.filter(_WAITING, person_id=person_id, day=day).exists()


def person_pending_since(person_id: int) -> datetime | None:
    """When the person's oldest daily update still waiting for its assessment was received, or
    None when none waits (the status page says so, with that time). An update given up does not
    wait: the page shows the assessment in force rather than "assessing" for ever."""
    return PendingAssessment.objects.filter(_WAITING, person_id=person_id).aggregate(since=Min("queued_at"))["since"]


def pending_backlog(*, now: datetime) -> dict[str, Any]:
    """For /healthz (settings.HEALTH_BACKLOG_SOURCES) and the officials' health page: how many
    daily updates wait for their assessment — at most BACKLOG_COUNT_CAP, with
    `rush_pending_assessments_capped` set when more wait —, how long the oldest has waited, and how
    many the worker assessed in the last hour (rush mode is on while any waits); and how many of
    the waiting ones failed at least once (retried after a back-off) and how many were given up
    (kept, not waiting any more: an operator must look at them)."""
    # A count over the whole backlog grows with it (~100 ms at 900k rows, review "scale"): past
    # ~9M it alone would pass HEALTHZ_DB_TIMEOUT_MS and /healthz would call a backlog a slow
    # database. Counting stops at the cap; the oldest is one probe of pending_assessment_queued.
    waiting = PendingAssessment.objects.filter(_WAITING).order_by()
    n = waiting[: BACKLOG_COUNT_CAP + 1].count()
    oldest = waiting.order_by("queued_at").values_list("queued_at", flat=True).first()
    # Every given-up row failed first, and failed rows are few (a fault, not the load): read
    # through the partial index on them (WHERE attempts > 0), not by scanning the backlog.
    troubled = PendingAssessment.objects.filter(attempts__gt=0).order_by()[: BACKLOG_COUNT_CAP + 1].aggregate(
        failing=Count("daily_update_id", filter=_WAITING),
        given_up=Count("daily_update_id", filter=Q(gave_up_at__isnull=False)),
    )
    assessed = counters_since([ASSESSED_COUNTER], now - timedelta(hours=1))[ASSESSED_COUNTER]
    return {
        "rush_pending_assessments": min(n, BACKLOG_COUNT_CAP),
        "rush_pending_assessments_capped": n > BACKLOG_COUNT_CAP,
        "oldest_pending_assessment_seconds": round(max(0.0, (now - oldest).total_seconds()), 1) if oldest else 0.0,
        "rush_assessed_last_hour": assessed,
        "rush_assessments_failing": int(troubled["failing"] or 0),
        "rush_assessments_given_up": int(troubled["given_up"] or 0),
    }


def pending_retry_given_up() -> int:
    """Hand the given-up updates back to the worker (after the fault is fixed): they are claimed
    again at the next run, with a fresh count of attempts. Returns how many."""
    return PendingAssessment.objects.filter(gave_up_at__isnull=False).update(
        attempts=0, failed_at=None, retry_at=None, gave_up_at=None
    )
