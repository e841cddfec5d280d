"""One batch of campaign reminders (the runs' step, orgs/reminders.py; `campaign_reminder_send`
for one member): the SMS budget, the `CampaignReminder` rows, the in-app notifications, and the
SMS handed to the outbox (orgs/reminder_sms.py) once the batch commits.

* Every reminder SMS — to the roster phone, or to a signed-in member's phone when the account
  allows SMS — is counted against the organisations' own budget (orgs/sms_budget.py:
  `ORG_SMS_DAILY_BUDGET`, at most `ORG_SMS_PER_ORG_DAILY` per organisation), never the health
  notifications' `SMS_DAILY_BUDGET`: an admin's roster cannot spend what zone warnings need.
  The budget is taken first, a batch at a time: over budget the SMS is skipped, not queued
  (logged and counted in `OrgSmsDailyCounter.refused`). A member whom only the roster phone
  reaches is then *not* reminded — no `CampaignReminder`, not counted in "reminded", remindable
  again later the same day (e.g. once the budget is raised) — and the run counts them in
  `refused`. A signed-in member is still reminded in the app. When the budget cannot cover a
  batch, the roster-phone members get it before the signed-in ones.
* A `CampaignReminder` row per (member, day), inserted before the in-app notification and the
  SMS, makes it at most one reminder per member per day across campaigns and repeated runs
  (in-app dedupe key "campaign-reminder:{campaign}:{day}:{member}").
* Preferences are read once per batch (orgs/reminder_plans.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone

from khaibao.core.days import day_end
from khaibao.notifications.labels import KIND_CAMPAIGN_REMINDER as KIND_CAMPAIGN_REMINDER
from khaibao.notifications.services import notify_account
from khaibao.orgs.models import Campaign, CampaignReminder, Member, ReminderSmsStatus
from khaibao.orgs.reminder_plans import ReminderPlan, channel_preferences, reminder_plan
from khaibao.orgs.reminder_runs import BatchResult
from khaibao.orgs.reminder_sms import QueuedSms, batch_sms_send
from khaibao.orgs.reminder_texts import policy_sends_sms
from khaibao.orgs.sms_budget import org_sms_budget_return, org_sms_budget_take


class Outcome(StrEnum):
    """What became of one member (`campaign_reminder_send`)."""

    SENT = "sent"  # reminded: in the app and/or by SMS
    UNSENT = "unsent"  # only the roster phone reaches them and the SMS did not leave: not reminded
    REFUSED = "refused"  # only the roster phone reaches them and the SMS budget is spent: not reminded
    SKIPPED = ""  # nothing to do: reminded today already, or unreachable under the policy (falsy)


def campaign_reminder_send(*, campaign: Campaign, member: Member, day: date) -> Outcome:
    """Remind one member if nobody reminded them today (a batch of one, as the runs do):
    `Outcome.SENT` when a reminder went out, `Outcome.REFUSED` when the SMS budget refused the
    only way to reach them (not reminded), `Outcome.UNSENT` when that only way, their SMS, failed
    (not reminded: a later run tries again), `Outcome.SKIPPED` (falsy) otherwise. The SMS is
    sent once the batch commits: inside a caller's transaction the outcome is told before it."""
    return Outcome(remind_batch(campaign, [member], day).outcomes.get(member.pk, Outcome.SKIPPED))


def _take_budget(plans: list[ReminderPlan], day: date) -> Counter[str]:
    """Take the SMS budget for the batch, per organisation, before anything is recorded; the
    roster-phone members first (the SMS is their only reminder). Returns what was taken."""
    wanting: dict[str, list[ReminderPlan]] = {}
    for plan in plans:
        if plan.phone:
            wanting.setdefault(plan.organisation, []).append(plan)
    taken: Counter[str] = Counter()
    for organisation, group in wanting.items():
        group.sort(key=lambda p: p.member.account_id is not None)
        taken[organisation] = granted = org_sms_budget_take(organisation, len(group), day=day)
        for plan in group[granted:]:
            plan.phone = ""
            plan.refused = plan.member.account_id is None
    return taken


def remind_batch(
    campaign: Campaign,
    members: list[Member],
    day: date,
    *,
    record: Callable[[BatchResult], None] | None = None,
    keep: Callable[[], None] = lambda: None,
    unsent: Callable[[int], None] = lambda _count: None,
    end: int = 0,
) -> BatchResult:
    """Remind a batch of members: budget first, then, in one transaction, the reminder rows,
    the in-app notifications and `record(result)` (the run's progress, with `end` — else the
    last member — as the cursor); the SMS go once it commits, calling `keep()` (the run's lease)
    after each. A member whom only the roster phone reaches and whose SMS did not leave is then
    not reminded after all: their reminder row goes, `unsent(n)` takes them out of the run's
    `sent`, and `result` says so. Stops at the end of `day`
    (`core.days.day_end`), the cursor then at the last member looked at."""
    until = day_end(day)
    sms_allowed = policy_sends_sms(campaign.reminder_policy)
    prefs = channel_preferences(members) if sms_allowed else {}
    result = BatchResult()
    plans = []
    for member in members:
        if timezone.now() >= until:
            result.stopped = True
            break
        result.last = member.pk
        if member.account_id is None and not sms_allowed:
            continue
        plans.append(reminder_plan(campaign, member, day, prefs))
    if not result.stopped and end:
        result.last = max(result.last, end)
    taken = _take_budget(plans, day)
    texts: list[QueuedSms] = []
    try:
        with transaction.atomic():
            wanted = [p for p in plans if not p.refused]
            recorded = _record(campaign, day, wanted)
            quiet: list[int] = []
            for plan in wanted:
                member = plan.member
                if member.pk not in recorded:  # reminded a moment ago by another run
                    continue
                if member.account is not None and notify_account(
                    account=member.account,
                    kind=KIND_CAMPAIGN_REMINDER,
                    title=plan.title,
                    body=plan.body,
                    link=plan.link,
                    dedupe_key=f"campaign-reminder:{campaign.pk}:{day.isoformat()}:{member.pk}",
                ) is None and plan.phone:
                    plan.phone = ""  # inactive account, or notified already: no SMS either
                    quiet.append(recorded[member.pk])
                if plan.phone:
                    texts.append(
                        QueuedSms(
                            recorded[member.pk], member.pk, plan.phone, plan.sms_text, plan.organisation,
                            member.account_id is None,
                        )
                    )
                result.outcomes[member.pk] = Outcome.SENT
            if quiet:
                CampaignReminder.objects.filter(pk__in=quiet).update(sms=ReminderSmsStatus.NONE, next_attempt_at=None)
            for plan in plans:
                if plan.refused:
                    result.outcomes[plan.member.pk] = Outcome.REFUSED
            result.sent = len(recorded)
            result.refused = sum(1 for p in plans if p.refused)
            if record is not None:
                record(result)
            if texts:

                def send() -> None:
                    _forget(batch_sms_send(texts, until, day, keep), result, unsent)

                # robust: whatever goes wrong here, the rows stay queued and the sweep sends them.
                transaction.on_commit(send, robust=True)
    except BaseException:
        for organisation, count in taken.items():
            org_sms_budget_return(organisation, count, day=day)
        raise
    unused = taken - Counter(t.organisation for t in texts)
    for organisation, count in unused.items():
        org_sms_budget_return(organisation, count, day=day)
    return result


def _record(campaign: Campaign, day: date, plans: list[ReminderPlan]) -> dict[int, int]:
    """Insert the batch's reminder rows, those with an SMS queued; member id → reminder id of those
    recorded (not those another run just did)."""
    now = timezone.now()
    rows = [
        CampaignReminder(
            member_id=p.member.pk, day=day, campaign=campaign, channel="in_app" if p.member.account_id else "sms",
            sms=ReminderSmsStatus.QUEUED if p.phone else ReminderSmsStatus.NONE,
            next_attempt_at=now if p.phone else None, sent_at=now,
        )
        for p in plans
    ]
    if not rows:
        return {}
    try:
        with transaction.atomic():
            CampaignReminder.objects.bulk_create(rows)
        if all(row.pk is not None for row in rows):
            return {row.member_id: row.pk for row in rows}
        found = CampaignReminder.objects.filter(member_id__in=[r.member_id for r in rows], day=day)
        return dict(found.values_list("member_id", "pk"))
    except IntegrityError:  # some were reminded meanwhile (another campaign, "remind now"): one by one
        done = {}
        for row in rows:
            try:
                with transaction.atomic():
                    row.pk = None
                    row.save(force_insert=True)
            except IntegrityError:
                continue
            done[row.member_id] = row.pk
        return done


def _forget(member_ids: list[int], result: BatchResult, unsent: Callable[[int], None]) -> None:
    """Members whose only reminder, the SMS, did not leave are not reminded (their row went in
    `reminder_sms._sms_end`): the run's `sent` no longer counts them (`unsent`), and the batch's
    outcome says so."""
    if not member_ids:
        return
    for member_id in member_ids:
        result.outcomes[member_id] = Outcome.UNSENT
    result.sent -= len(member_ids)
    unsent(len(member_ids))
