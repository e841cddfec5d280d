"""How the campaign reminders run (orgs/reminders.py: whom to remind; reminder_batches.py: one batch).

National scale (docs/organisations.md, "Reminders at scale"): millions of roster lines, reminded
in batches of `reminders.BATCH` by the evening job and by "remind now". Decisions:

* Leases, not locks held for the run: a run (the evening job's `CampaignReminderRun` per campaign
  and day, or a `UnitReminderRun`) is claimed with a conditional UPDATE of `lease_until`
  (as `notifications.tasks.deliver` claims a delivery) and the lease is renewed with each batch.
  While a batch's SMS are sent (after its commit, up to BATCH of them through a gateway that may
  be slow) the lease is renewed every RENEW_EVERY too (`keep`), so that a slow gateway does not
  let the sweep or the next run take over a run that is alive.
  A second run of the same campaign while the first still holds it does nothing: the overlap
  guard that keeps runs from stacking up on the same members (whatever the scheduler does).
  `lease_until` is also the holder's token: progress written by a worker that lost its lease
  (it stalled longer than LEASE and another took over) is refused, and its batch rolled back.
* Progress commits with each batch (cursor, sent, refused), in the batch's transaction: a run
  whose worker died (kill -9) continues from its last committed batch. Repeating a batch is
  harmless anyway (one `CampaignReminder` per member and day). A member whom only the roster
  phone reaches and whose SMS then fails at the gateway is taken out of `sent` again (`unsent`)
  and loses the day's reminder row, so a later run reminds them (after a crash, the SMS is sent
  by the reminders' outbox sweep, `campaign_reminder_sms_requeue`).
* `remind_now_sweep` (periodic) queues again the "remind now" runs with no live worker (lease
  expired, or never claimed because the enqueue was lost), like `exports_sweep`; a run of a day
  that ended is closed instead. Asking again for a unit whose run stalled resumes it (no 409).
* The day's cut-off: nothing is sent for a day that ended. A run stops at local midnight
  (TIME_ZONE, Asia/Ho_Chi_Minh), and an SMS of the last batch still waiting at midnight is not
  sent — "send today's update" would be about a day that is over.
* The organisations' SMS budget (orgs/sms_budget.py) is taken a batch at a time, before any
  reminder is recorded: one short transaction per organisation and batch instead of four
  statements per SMS on the same hot row (`sms_budget.org_sms_budget_take`, a batch at a time).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.audit.services import audit_record
from khaibao.core.days import day_end
from khaibao.core.errors import ServiceError
from khaibao.core.workers import task_waiting
from khaibao.orgs import tasks as orgs_tasks
from khaibao.orgs.admin_limits import remind_now_count
from khaibao.orgs.models import (
    Campaign,
    CampaignReminderRun,
    OrgUnit,
    ReminderPolicy,
    UnitReminderRun,
)

logger = logging.getLogger(__name__)

# A batch takes seconds; a run untouched for this long lost its worker.
LEASE = timedelta(minutes=5)
# While a batch's SMS are being sent, the lease is renewed at most this often.
RENEW_EVERY = timedelta(seconds=30)
# A "remind now" nobody claimed this long after it was asked: its enqueue was lost.
UNCLAIMED_AFTER = timedelta(minutes=2)


class LeaseLost(Exception):
    """This worker no longer holds the run (it stalled past LEASE and another took over)."""


def day_over(day: date) -> bool:
    return timezone.now() >= day_end(day)


# --- Leases ----------------------------------------------------------------------------------


def lease_claim(model: Any, pk: int, *, extra: Q | None = None) -> datetime | None:
    """Hold the run `pk` for LEASE when nobody does (no lease, or an expired one); the lease
    (also the holder's token for `lease_renew`), or None when another worker holds the run."""
    now = timezone.now()
    lease = now + LEASE
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    rows = model.objects.filter(free, extra or Q(), pk=pk)
    return lease if rows.update(lease_until=lease, updated_at=now) else None


def lease_renew(model: Any, pk: int, lease: datetime, **changes: Any) -> datetime:
    """Write the run's progress and renew its lease, as its holder; LeaseLost when it is not."""
    now = timezone.now()
    renewed = now + LEASE
    if not model.objects.filter(pk=pk, lease_until=lease).update(lease_until=renewed, updated_at=now, **changes):
        raise LeaseLost(f"{model.__name__} {pk}")
    return renewed


def lease_release(model: Any, pk: int, lease: datetime, **changes: Any) -> bool:
    return bool(
        model.objects.filter(pk=pk, lease_until=lease).update(lease_until=None, updated_at=timezone.now(), **changes)
    )


def run_stalled(run: UnitReminderRun, *, now: datetime | None = None) -> bool:
    """An unfinished "remind now" with no live worker: its lease expired, or nobody claimed it."""
    if run.finished_at is not None:
        return False
    now = now or timezone.now()
    if run.lease_until is not None:
        return run.lease_until < now
    return run.requested_at < now - UNCLAIMED_AFTER


# --- Runs: batch after batch, progress with each, until done or midnight --------------------


@dataclass
class BatchResult:
    """What one batch did (orgs.reminder_batches.remind_batch)."""

    last: int = 0  # the last member id looked at: the run's cursor (0 when none was)
    sent: int = 0
    refused: int = 0  # not reminded: the SMS budget is spent and the roster phone was their only way
    stopped: bool = False  # the day ended before the end of the batch
    outcomes: dict[int, str] = field(default_factory=dict)  # member id → reminder_batches.Outcome


# step(after, record, keep, unsent): remind the next batch of members after id `after`, calling
# `record(result)` inside the batch's transaction, `keep()` now and then while its SMS are sent and
# `unsent(n)` when n members counted in `record` were not reminded after all (their only way, the
# SMS, failed after the commit); None when nobody is left. orgs.reminders makes them.
Step = Callable[
    [int, Callable[[BatchResult], None], Callable[[], None], Callable[[int], None]], "BatchResult | None"
]


def run_batches(model: Any, pk: int, lease: datetime, *, day: date, step: Step) -> tuple[int, datetime | None, bool]:
    """Run `step` batch after batch from the run's cursor, each batch committing with the run's
    progress (cursor, sent, refused) and a renewed lease. Returns (reminders sent, the lease —
    None once lost —, whether every member was looked at); stops at the end of `day`."""
    cursor = model.objects.values_list("cursor", flat=True).get(pk=pk)
    sent = 0
    held: list[datetime] = [lease]

    def keep() -> None:
        if timezone.now() < held[0] - LEASE + RENEW_EVERY:  # renewed less than RENEW_EVERY ago
            return
        # Lost: the batch's SMS are still this worker's to send; its next batch stops the run.
        with contextlib.suppress(LeaseLost):
            held[0] = lease_renew(model, pk, held[0])

    def unsent(count: int) -> None:
        # Not as the lease's holder: the count is corrected whoever holds the run now.
        model.objects.filter(pk=pk).update(sent=Greatest(F("sent") - count, 0))

    while not day_over(day):

        def record(result: BatchResult, after: int = cursor) -> None:
            held[0] = lease_renew(
                model, pk, held[0], cursor=result.last or after,
                sent=F("sent") + result.sent, refused=F("refused") + result.refused,
            )

        try:
            result = step(cursor, record, keep, unsent)
        except LeaseLost:
            logger.warning("reminder run %s %s: another worker took it over", model.__name__, pk)
            return sent, None, False
        if result is None:
            return sent, held[0], True
        sent += result.sent
        cursor = result.last or cursor
    return sent, held[0], False


def campaign_run(campaign: Campaign, day: date, step: Step) -> int:
    """One periodic run of a campaign's reminders, unless another still holds the campaign (the
    overlap guard); continues the day's pass from its cursor, or starts a new one."""
    run, _created = CampaignReminderRun.objects.get_or_create(campaign=campaign, day=day)
    lease = lease_claim(CampaignReminderRun, run.pk)
    if lease is None:
        logger.info("campaign %s reminders: the previous run still holds it, this one skips", campaign.pk)
        return 0
    if not CampaignReminderRun.objects.filter(pk=run.pk, cursor__gt=0).exists():  # a new pass
        lease = lease_renew(CampaignReminderRun, run.pk, lease, refused=0, started_at=timezone.now(), finished_at=None)
    sent, held, done = run_batches(CampaignReminderRun, run.pk, lease, day=day, step=step)
    if held is not None:
        # Done: the next run starts a new pass (members added since, or refused for want of
        # budget). The day ended: the cursor stays, the row is that day's record.
        ended = {"cursor": 0, "finished_at": timezone.now()} if done else {}
        lease_release(CampaignReminderRun, run.pk, held, **ended)
    return sent


def remind_now_run(run_id: int, steps: Callable[[Campaign, date, OrgUnit], Step]) -> int:
    """The worker's half of "remind now": send the run's reminders from its cursor, recording
    progress after each batch; returns how many the run sent in all. A duplicate task, or one
    for a finished run, sends nothing; a run of a day that ended is closed without sending."""
    run = UnitReminderRun.objects.select_related("unit", "campaign__unit").get(pk=run_id)
    if run.finished_at is not None:
        return run.sent
    if day_over(run.day):
        UnitReminderRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
            finished_at=timezone.now(), lease_until=None, updated_at=timezone.now()
        )
        return run.sent
    lease = lease_claim(UnitReminderRun, run.pk, extra=Q(finished_at__isnull=True))
    if lease is None:  # another worker holds it
        return run.sent
    step = steps(run.campaign, run.day, run.unit)
    _sent, held, _done = run_batches(UnitReminderRun, run.pk, lease, day=run.day, step=step)
    if held is not None:  # every member looked at, or the day ended
        lease_release(UnitReminderRun, run.pk, held, finished_at=timezone.now())
    return UnitReminderRun.objects.values_list("sent", flat=True).get(pk=run.pk)


# --- "Remind now" (issue 17): asked by an admin, sent by the worker, resumed by the sweep ----


def unit_remind_now(*, actor: Account, unit: OrgUnit, campaign: Campaign, ip: str = "") -> UnitReminderRun:
    """Ask for the reminders of `unit`'s subtree now; the worker sends them (unit_remind_now_run).

    `unit` comes from orgs.access (in the admin's subtree) and `campaign` covers it. Refused
    when the campaign sends no reminders, is not in force today, or the unit was already
    reminded today (by anyone). Members reminded now are not reminded again today — not even
    by the evening job; members already reminded today are skipped. Asking again for today's
    run that stalled (its worker died, or its enqueue was lost) resumes it and answers it.
    At most ORG_REMIND_NOW_PER_HOUR asks per admin and hour (orgs/admin_limits.py).
    """
    remind_now_count(actor, ip)
    day = timezone.localdate()
    if campaign.reminder_policy == ReminderPolicy.NONE:
        raise ServiceError(
            _("This campaign sends no reminders. Change its reminder policy first."), code="no_reminders", status=409
        )
    if not campaign.in_force(day):
        raise ServiceError(_("This campaign is not in force today."), code="not_in_force", status=409)
    earlier = UnitReminderRun.objects.filter(unit=unit, day=day).first()
    if earlier is not None:
        return _resume_or_refuse(earlier)
    try:
        with transaction.atomic():
            run = UnitReminderRun.objects.create(unit=unit, campaign=campaign, day=day, requested_by=actor)
            audit_record(
                actor=actor, action="orgs.remind_now", obj=unit, ip=ip,
                data={"unit_id": unit.pk, "campaign": campaign.pk, "day": day.isoformat()},
            )
    except IntegrityError:  # two admins at the same moment
        raise _already(UnitReminderRun.objects.get(unit=unit, day=day)) from None
    run_id = run.pk
    transaction.on_commit(lambda: _enqueue_remind_now(run_id), robust=True)
    return run


def _resume_or_refuse(run: UnitReminderRun) -> UnitReminderRun:
    if not run_stalled(run):
        raise _already(run)
    if not task_waiting(orgs_tasks.unit_remind_now_task.module_path, [run.pk]):
        run_id = run.pk
        transaction.on_commit(lambda: _enqueue_remind_now(run_id), robust=True)
    return run


def _already(run: UnitReminderRun) -> ServiceError:
    return ServiceError(
        _("This unit was already reminded today at %(time)s. Reminders can be sent once a day per unit.")
        % {"time": timezone.localtime(run.requested_at).strftime("%H:%M")},
        code="already_reminded",
        status=409,
    )


def _enqueue_remind_now(run_id: int) -> None:
    orgs_tasks.unit_remind_now_task.enqueue(run_id)


def remind_now_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Periodic: no "remind now" stays "sending…" for ever.

    * a run of a day that ended is closed (`finished_at`) with what it sent: nothing more is
      sent for that day;
    * a run of today with no live worker — its lease expired (the worker died), or nobody
      claimed it UNCLAIMED_AFTER after it was asked (the enqueue after the commit was lost) —
      is queued again unless a task for it is already waiting. The worker resumes it from its
      cursor (`reminders.unit_remind_now_run` claims the run first, so a run queued twice
      still runs once).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    unfinished = UnitReminderRun.objects.filter(finished_at__isnull=True)
    closed = unfinished.filter(day__lt=today).update(finished_at=now, lease_until=None, updated_at=now)
    stalled = unfinished.filter(day=today).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True, requested_at__lt=now - UNCLAIMED_AFTER)
    )
    requeued = 0
    for run_id in stalled.order_by("pk").values_list("pk", flat=True):
        if not task_waiting(orgs_tasks.unit_remind_now_task.module_path, [run_id]):
            _enqueue_remind_now(run_id)
            requeued += 1
    return {"closed": closed, "requeued": requeued}
