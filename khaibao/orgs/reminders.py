"""Compliance reminders to campaign members (issue 7): at most one per member per day.

A dedicated job rather than a `DAILY_REMINDER_SOURCES` source: that hook reminds the carers of
a *person* to send the daily update, while a campaign reminds a *roster line* — who may have
no account yet — to declare and/or update. Decisions:

* Linked members with an account get an in-app notification through `notify_account`
  (dedupe key "campaign-reminder:{campaign}:{day}:{member}", with the e-mail and Web Push the
  account chose), plus SMS when the campaign's policy is "in-app and SMS" and the account
  allows SMS (below: not a notification delivery).
* Members with no account yet are reachable only by the roster phone: an SMS through
  `khaibao.accounts.sms.send_sms`, only when the policy allows SMS.
* Every reminder SMS — to the roster phone, or to a signed-in member's phone when the account
  allows SMS — is sent from here and counted against the organisations' own budget
  (orgs/sms_budget.py: `ORG_SMS_DAILY_BUDGET`, at most `ORG_SMS_PER_ORG_DAILY` per
  organisation), never the health notifications' `SMS_DAILY_BUDGET`: an admin's roster cannot
  spend what zone warnings need. The budget is taken first, a batch at a time: over budget the
  SMS is skipped, not queued (logged and counted in `OrgSmsDailyCounter.refused`). A member whom
  only the roster phone reaches is then *not* reminded — no `CampaignReminder`, not counted in
  "reminded", remindable again later the same day (e.g. once the budget is raised) — and the
  run counts them in `refused`. A signed-in member is still reminded in the app. When the
  budget cannot cover a batch, the roster-phone members get it before the signed-in ones.
* A `CampaignReminder` row per (member, day), inserted before the in-app notification and the
  SMS, makes it at most one reminder per member per day across campaigns and repeated runs.
* The row is its SMS's outbox too (the shape of tracing/invitations.py and smsin/outbox.py): it
  is written `queued` in the batch's transaction, the batch's SMS are sent once it commits, each
  attempt claimed first (`core.retries.attempt_claim`; a batch's in one UPDATE), and `reminder_sms_requeue` (periodic,
  `campaign_reminder_sms_requeue`) sends those whose attempt was lost — a worker killed right
  after the commit no longer loses up to a batch of SMS while they count as reminded. The phone
  is read from the member (or the account) when the SMS is sent, never stored again.
* A failed SMS: a member whom only the roster phone reaches is not reminded after all — the row
  goes, the slot goes back to the budget and the next run reminds them (review-faults finding 4);
  a signed-in member, reminded in the app, has the SMS retried on the deliveries' schedule
  (`core.retries.retry_delay`) until NOTIFY_MAX_ATTEMPTS or midnight, then `gave_up`.
* Batches (BATCH members by id, keyset): members already reminded today are left out with
  NOT EXISTS on the (member, day) unique index, so a batch costs the same however many were
  reminded before it; preferences are read once per batch. How runs go — leases against
  overlapping runs, progress per batch, resuming a killed "remind now", the midnight cut-off —
  is orgs/reminder_runs.py.
* Members who declined the membership are never reminded; members who already met every
  target of the campaign never are either (checked at send time, from the latest-status row).
* What is asked follows the member's state (issue 21): a member awaiting confirmation is asked
  to confirm (never "declare": the organisation does not know whether they did), a confirmed
  one who has not declared to declare, the others to send today's update — each text with the
  short link and the SMS keyword that does it.
The texts say nothing about health: only the organisation's name and what is asked — and not
even the name when it carries a phone number or a web address (`orgs.services.unit_name_allowed`,
what a new name may not: an older unit's name is not changed, the texts say "your organisation").
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, Max, Min, OuterRef, Q
from django.utils import timezone, translation

from khaibao.accounts.sms import send_sms, sms_fit
from khaibao.core.counters import counter_add
from khaibao.core.days import day_end
from khaibao.core.retries import attempt_claim, attempt_enqueue, attempt_failed, lost_requeue
from khaibao.notifications.labels import KIND_CAMPAIGN_REMINDER as KIND_CAMPAIGN_REMINDER
from khaibao.notifications.models import ChannelPreference
from khaibao.notifications.services import notify_account
from khaibao.orgs import tasks as orgs_tasks
from khaibao.orgs.access import subtree_q
from khaibao.orgs.compliance import declared_q, member_status_q
from khaibao.orgs.models import (
    Campaign,
    CampaignReminder,
    Member,
    OrgUnit,
    ReminderPolicy,
    ReminderSmsStatus,
)
from khaibao.orgs.reminder_runs import (
    BatchResult,
    Step,
    campaign_run,
    remind_now_run,
)

# "Remind now" is asked, and resumed by its sweep, in reminder_runs.py; callers find both here.
from khaibao.orgs.reminder_runs import remind_now_sweep as remind_now_sweep
from khaibao.orgs.reminder_runs import unit_remind_now as unit_remind_now
from khaibao.orgs.reminder_texts import policy_sends_sms, reminder_texts, unit_label
from khaibao.orgs.rollups import active_campaigns
from khaibao.orgs.sms_budget import org_sms_budget_return, org_sms_budget_take, organisation_of

logger = logging.getLogger(__name__)

BATCH = 500


# While a batch's SMS are sent, those sent are marked (and the others' claim renewed) this often.
FLUSH_EVERY = timedelta(seconds=30)

# Member ids one batch query looks through at most: a pass over lines mostly reminded already
# (every run after the first of the evening) is many short queries, never one over the table.
WINDOW = 20_000


def campaign_members_to_remind(
    campaign: Campaign,
    day: date,
    *,
    after: int = 0,
    limit: int = BATCH,
    within: OrgUnit | None = None,
    upto: int | None = None,
) -> list[Member]:
    """Members of the campaign's subtree (or of `within`, a unit below it) who have not met its
    targets on `day` and were not reminded today, by id (keyset: ids after `after`, up to `upto`).

    "Not reminded today" is NOT EXISTS on (member, day) — the unique index's probe per member —
    never NOT IN over the day's reminders, which hashed every reminder of the day for each
    batch (rollout review P1-3: 87 of 90 ms per batch with 150,000 reminded)."""
    if not (campaign.target_declared or campaign.target_updated_daily):
        return []
    ids = Q(pk__gt=after) if upto is None else Q(pk__gt=after, pk__lte=upto)
    # The subquery repeats the id range: whichever plan PostgreSQL picks — a probe per member,
    # or a merge anti-join along the (member, day) index — it starts at the cursor, not at the
    # first member reminded today (measured: 8 ms instead of 90 with 150,000 reminded).
    reminded_ids = Q(member_id__gt=after) if upto is None else Q(member_id__gt=after, member_id__lte=upto)
    return list(
        Member.objects.filter(
            ids,
            subtree_q(campaign.unit.path, field="unit__path"),
            subtree_q((within or campaign.unit).path, field="unit__path"),
            removed_at__isnull=True,
            declined_at__isnull=True,
        )
        .filter(member_status_q("not_done", campaign, day))
        .filter(~Exists(CampaignReminder.objects.filter(reminded_ids, member_id=OuterRef("pk"), day=day)))
        .select_related("account", "unit")
        .annotate(
            has_declared=ExpressionWrapper(declared_q(campaign.starts_on), output_field=BooleanField()),
        )
        .order_by("pk")[:limit]
    )


class Outcome(StrEnum):
    """What became of one member (`campaign_reminder_send`)."""

    SENT = "sent"  # reminded: in the app and/or by SMS
    UNSENT = "unsent"  # only the roster phone reaches them and the SMS did not leave: not reminded
    REFUSED = "refused"  # only the roster phone reaches them and the SMS budget is spent: not reminded
    SKIPPED = ""  # nothing to do: reminded today already, or unreachable under the policy (falsy)


@dataclass
class _Plan:
    member: Member
    title: Any
    body: Any
    link: str
    organisation: str
    phone: str = ""  # the SMS goes there (empty: no SMS)
    sms_text: str = ""
    refused: bool = False


@dataclass(frozen=True)
class _Text:
    """One reminder SMS of a committed batch (its outbox row `reminder_id`), sent by `_send_texts`."""

    reminder_id: int
    member_id: int
    phone: str
    text: str
    organisation: str
    only_way: bool  # a roster line with no account: unsent, they are not reminded at all


def campaign_reminder_send(*, campaign: Campaign, member: Member, day: date) -> Outcome:
    """Remind one member if nobody reminded them today (a batch of one, as the runs do):
    `Outcome.SENT` when a reminder went out, `Outcome.REFUSED` when the SMS budget refused the
    only way to reach them (not reminded), `Outcome.UNSENT` when that only way, their SMS, failed
    (not reminded: a later run tries again), `Outcome.SKIPPED` (falsy) otherwise. The SMS is
    sent once the batch commits: inside a caller's transaction the outcome is told before it."""
    return Outcome(_remind_batch(campaign, [member], day).outcomes.get(member.pk, Outcome.SKIPPED))


def _preferences(members: list[Member]) -> dict[int, ChannelPreference]:
    """The channel preferences of the batch's signed-in members, in one query."""
    ids = [m.account_id for m in members if m.account_id is not None]
    return {p.account_id: p for p in ChannelPreference.objects.filter(account_id__in=ids)} if ids else {}


def _plan(campaign: Campaign, member: Member, day: date, prefs: dict[int, ChannelPreference]) -> _Plan:
    title, body, link = reminder_texts(campaign, member, day)
    plan = _Plan(member, title, body, link, organisation_of(member.unit))
    language = "vi"
    if member.account is None:
        plan.phone = member.phone
    elif policy_sends_sms(campaign.reminder_policy):
        # In-app, e-mail and Web Push as the account chose (notify_account); its SMS is sent
        # here, on the organisations' budget, not as a notification delivery.
        pref = prefs.get(member.account.pk) or ChannelPreference(account_id=member.account.pk)
        if pref.sms and member.account.phone:
            plan.phone, language = member.account.phone, pref.language or "vi"
    if plan.phone:
        sms_title, sms_body, _link = reminder_texts(campaign, member, day, sms=True)
        with translation.override(language):
            plan.sms_text = _fit_sms(str(sms_title), str(sms_body), unit=str(unit_label(member.unit)))
    return plan


def _take_budget(plans: list[_Plan], day: date) -> Counter[str]:
    """Take the SMS budget for the batch, per organisation, before anything is recorded; the
    roster-phone members first (the SMS is their only reminder). Returns what was taken."""
    wanting: dict[str, list[_Plan]] = {}
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


def _remind_batch(
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
    prefs = _preferences(members) if sms_allowed else {}
    result = BatchResult()
    plans = []
    for member in members:
        if timezone.now() >= until:
            result.stopped = True
            break
        result.last = member.pk
        if member.account_id is None and not sms_allowed:
            continue
        plans.append(_plan(campaign, member, day, prefs))
    if not result.stopped and end:
        result.last = max(result.last, end)
    taken = _take_budget(plans, day)
    texts: list[_Text] = []
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
                        _Text(
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
                    _forget(_send_texts(texts, until, day, keep), result, unsent)

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


def _record(campaign: Campaign, day: date, plans: list[_Plan]) -> dict[int, int]:
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


def _fit_sms(title: str, body: str, *, unit: str) -> str:
    """Within SMS_MAX_CHARS (`accounts.sms.sms_fit`): the title gives way first, then the end of
    the unit's name, so that the link and the keyword after it survive however long the name is."""
    if unit and body.startswith(unit):  # every text names the unit first, in both languages
        rest = body[len(unit) :]
        tail = rest.lstrip()
        return sms_fit(title=title, body=unit, tail=tail, title_sep=": ", tail_sep=rest[: len(rest) - len(tail)])
    return sms_fit(title=title, body=body, title_sep=": ")


def _send_texts(
    texts: list[_Text], until: datetime, day: date, keep: Callable[[], None] = lambda: None
) -> list[int]:
    """Send a committed batch's SMS, the first attempts of their outbox rows, keeping the run's
    lease after each. Returns the members whom only the roster phone reaches and whose SMS did not
    leave (no longer reminded: `_forget` them from the run).

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


def _forget(member_ids: list[int], result: BatchResult, unsent: Callable[[int], None]) -> None:
    """Members whose only reminder, the SMS, did not leave are not reminded (their row went in
    `_sms_end`): the run's `sent` no longer counts them (`unsent`), and the batch's outcome says so."""
    if not member_ids:
        return
    for member_id in member_ids:
        result.outcomes[member_id] = Outcome.UNSENT
    result.sent -= len(member_ids)
    unsent(len(member_ids))


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
    plan = _plan(campaign, member, row.day, _preferences([member]))
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


# --- Runs: the evening job per campaign, "remind now" per unit (reminder_runs.py) -------------


def _batches(campaign: Campaign, day: date, within: OrgUnit | None = None) -> Step:
    """The runs' step: remind the next batch after a member id, looking through WINDOW ids at
    most; None past the last member (as of the run's start: lines added later are reached by
    the next pass). Only the ids of the subtree's own lines are walked, from its first to its
    last: a province's campaign never looks through the whole country's range (diff review F2)."""
    bounds = Member.objects.filter(subtree_q((within or campaign.unit).path, field="unit__path")).aggregate(
        first=Min("pk"), last=Max("pk")
    )
    first, top = bounds["first"] or 0, bounds["last"] or 0

    def step(
        after: int, record: Callable[[BatchResult], None], keep: Callable[[], None], unsent: Callable[[int], None]
    ) -> BatchResult | None:
        after = max(after, first - 1)
        if after >= top:
            return None
        upto = min(after + WINDOW, top)
        members = campaign_members_to_remind(campaign, day, after=after, limit=BATCH, within=within, upto=upto)
        # A full batch ends at its last member; a short one looked through the whole window.
        end = members[-1].pk if len(members) == BATCH else upto
        return _remind_batch(campaign, members, day, record=record, keep=keep, unsent=unsent, end=end)

    return step


def unit_remind_now_run(run_id: int) -> int:
    """The worker's half of "remind now" (reminder_runs.remind_now_run): resumable, idempotent."""
    return remind_now_run(run_id, _batches)


def campaign_reminders_send(*, day: date | None = None) -> int:
    """Remind non-compliant members of every campaign in force with a reminder policy.

    Acts from `DAILY_REMINDER_HOUR` local time on (the caller checks) until midnight. A campaign
    whose previous run is still going is skipped (reminder_runs.campaign_run). Returns
    reminders sent.
    """
    day = day or timezone.localdate()
    sent = 0
    for campaign in active_campaigns(day):
        if campaign.reminder_policy == ReminderPolicy.NONE:
            continue
        sent += campaign_run(campaign, day, _batches(campaign, day))
    return sent
