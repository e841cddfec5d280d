"""The campaign reminders' SMS outbox (the shape of tracing/invitations.py and smsin/outbox.py).

* The `CampaignReminder` row is its SMS's outbox: it is written `queued` in the batch's
  transaction (orgs/reminder_batches.py), the batch's SMS are sent once it commits
  (`batch_sms_send`), each attempt claimed first (`core.retries.attempt_claim`; a batch's in one
  UPDATE), and `reminder_sms_requeue` (periodic, `campaign_reminder_sms_requeue`) sends those
  whose attempt was lost — a worker killed right after the commit no longer loses up to a batch
  of SMS while they count as reminded. The phone is read from the member (or the account) when
  the SMS is sent (orgs/reminder_plans.py), never stored again.
* A failed SMS: a member whom only the roster phone reaches is not reminded after all — the row
  goes, the slot goes back to the budget and the next run reminds them (review-faults finding 4);
  a signed-in member, reminded in the app, has the SMS retried on the deliveries' schedule
  (`core.retries.retry_delay`) until NOTIFY_MAX_ATTEMPTS or midnight, then `gave_up`.
* Nothing is sent for a day that ended: "send today's update" would be about a day that is over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone

from khaibao.accounts.sms import send_sms
from khaibao.core.counters import counter_add
from khaibao.core.days import day_end
from khaibao.core.retries import attempt_claim, attempt_enqueue, attempt_failed, lost_requeue
from khaibao.orgs import tasks as orgs_tasks
from khaibao.orgs.compliance import declared_q
from khaibao.orgs.models import CampaignReminder, Member, ReminderSmsStatus
from khaibao.orgs.reminder_plans import channel_preferences, reminder_plan
from khaibao.orgs.sms_budget import org_sms_budget_return

logger = logging.getLogger(__name__)

# While a batch's SMS are sent, those sent are marked (and the others' claim renewed) this often.
FLUSH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class QueuedSms:
    """One reminder SMS of a committed batch (its outbox row `reminder_id`), sent by `batch_sms_send`."""

    reminder_id: int
    member_id: int
    phone: str
    text: str
    organisation: str
    only_way: bool  # a roster line with no account: unsent, they are not reminded at all


def batch_sms_send(
    texts: list[QueuedSms], until: datetime, day: date, keep: Callable[[], None] = lambda: None
) -> list[int]:
    """Send a committed batch's SMS, the first attempts of their outbox rows, keeping the run's
    lease after each. Returns the members whom only the roster phone reaches and whose SMS did not
    leave (no longer reminded: the batch takes them out of the run).

    The batch's rows are claimed in one UPDATE, and marked sent (their claim renewed) every
    FLUSH_EVERY, not one statement per SMS: a batch costs the same queries however many it
    sends (rollout review P2-1). A worker killed mid-batch may repeat the texts sent since the
    last flush — at most FLUSH_EVERY of them — rather than lose the rest."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS)
    ids = [t.reminder_id for t in texts]
    CampaignReminder.objects.filter(pk__in=ids, attempts=0, next_attempt_at__lte=now).update(
        attempts=1, next_attempt_at=lease
    )
    mine = set(CampaignReminder.objects.filter(pk__in=ids, next_attempt_at=lease).values_list("pk", flat=True))
    sent: list[int] = []
    lost: list[int] = []
    flushed = now
    for t in texts:
        if t.reminder_id not in mine:  # the sweep's worker has it already
            continue
        end = _sms_try(t.reminder_id, 1, t.phone, t.text, day=day, until=until,
                       organisation=t.organisation, only_way=t.only_way)
        if end == "sent":
            sent.append(t.reminder_id)
        elif end == "forgotten":
            lost.append(t.member_id)
        keep()
        if timezone.now() >= flushed + FLUSH_EVERY:
            flushed = timezone.now()
            lease = _flush(sent, mine, lease)
            sent = []
    _flush(sent, mine, lease)
    return lost


def _flush(sent: list[int], mine: set[int], lease: datetime) -> datetime:
    """Mark `sent` sent and renew the claim on the batch's rows still waiting; the new claim."""
    _sms_sent(sent)
    renewed = timezone.now() + timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS)
    CampaignReminder.objects.filter(pk__in=mine, next_attempt_at=lease).update(next_attempt_at=renewed)
    return renewed


def _sms_sent(ids: list[int]) -> None:
    if ids:
        CampaignReminder.objects.filter(pk__in=ids).update(sms=ReminderSmsStatus.SENT, next_attempt_at=None, last_error="")


# --- The SMS outbox: one attempt, its end, the worker's half and the sweep -----------------


def _sms_try(
    reminder_id: int, attempt: int, phone: str, text: str, *,
    day: date, until: datetime, organisation: str, only_way: bool,
) -> str:
    """Attempt number `attempt` (claimed) at reminder `reminder_id`'s SMS: "sent" (the caller
    marks it), "failed" (the worker retries it), "gave_up" or "forgotten" (a roster line: not
    reminded)."""
    retry_at: datetime | None = None
    if timezone.now() >= until:  # never "today's update" for a day that is over
        error = "the day ended"
    elif not phone:
        error = "no phone to send to any more"
    else:
        try:
            send_sms(to=phone, body=text)
        except Exception as exc:
            error, retry_at = attempt_failed(reminder_id, attempt, exc, what="campaign reminder SMS")
        else:
            return "sent"
    if only_way or retry_at is None or retry_at >= until:
        return _sms_end(reminder_id, day=day, organisation=organisation, only_way=only_way, error=error)
    CampaignReminder.objects.filter(pk=reminder_id).update(
        sms=ReminderSmsStatus.FAILED, next_attempt_at=retry_at, last_error=error
    )
    attempt_enqueue(orgs_tasks.campaign_reminder_sms_send, reminder_id, retry_at, what="campaign reminder SMS")
    return "failed"


def _sms_end(reminder_id: int, *, day: date, organisation: str, only_way: bool, error: str) -> str:
    """An SMS that will not leave: its slot goes back to the budget. A roster line (the SMS was the
    whole reminder) is not reminded: the row goes, and a later run reminds them (finding 4). A
    signed-in member keeps the in-app reminder, the SMS marked given up."""
    org_sms_budget_return(organisation, 1, day=day)
    if only_way:
        CampaignReminder.objects.filter(pk=reminder_id, channel="sms").delete()
        return "forgotten"
    CampaignReminder.objects.filter(pk=reminder_id).update(
        sms=ReminderSmsStatus.GAVE_UP, next_attempt_at=None, last_error=error[:500]
    )
    counter_add("orgs.reminder_sms.gave_up")
    logger.warning("campaign reminder SMS %s gave up: %s", reminder_id, error)
    return "gave_up"


def reminder_sms_send(reminder_id: int) -> str:
    """The worker's attempt at a reminder's SMS when it is due (a retry, or one the sweep found
    lost); the phone and the text are read now, from the member. Returns what happened, as
    `_sms_try`, "skipped" or "not_due"."""
    row = CampaignReminder.objects.filter(pk=reminder_id).select_related("campaign__unit").first()
    if row is None or row.next_attempt_at is None:  # sent, given up, forgotten, or no SMS
        return "skipped"
    if row.next_attempt_at > timezone.now():
        return "not_due"
    campaign = row.campaign
    member = (
        Member.objects.select_related("account", "unit")
        .annotate(has_declared=ExpressionWrapper(declared_q(campaign.starts_on), output_field=BooleanField()))
        .get(pk=row.member_id)
    )
    plan = reminder_plan(campaign, member, row.day, channel_preferences([member]))
    if member.removed_at is not None or member.declined_at is not None:
        plan.phone = ""
    if not attempt_claim(CampaignReminder, reminder_id, row.attempts, timezone.now()):  # another worker has it
        return "skipped"
    end = _sms_try(
        reminder_id, row.attempts + 1, plan.phone, plan.sms_text, day=row.day, until=day_end(row.day),
        organisation=plan.organisation, only_way=row.channel == "sms",
    )
    if end == "sent":
        _sms_sent([reminder_id])
    return end


def reminder_sms_requeue() -> int:
    """Queue again the reminder SMS whose time passed long ago (a worker killed after its batch
    committed, a lost enqueue); harmless while the first attempt runs, as each attempt is claimed."""
    return lost_requeue(CampaignReminder, orgs_tasks.campaign_reminder_sms_send, what="campaign reminder SMS")
