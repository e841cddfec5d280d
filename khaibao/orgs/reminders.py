"""Compliance reminders to campaign members (issue 7): whom to remind, and the evening job.

A dedicated job rather than a `DAILY_REMINDER_SOURCES` source: that hook reminds the carers of
a *person* to send the daily update, while a campaign reminds a *roster line* — who may have
no account yet — to declare and/or update. At most one reminder per member per day. Where the
rest is decided:

* how one member is reached — in the app (`notify_account`, with the e-mail and Web Push the
  account chose), by SMS to the roster phone or the account's phone when the policy allows SMS:
  orgs/reminder_plans.py;
* one batch — the organisations' SMS budget taken first, the `CampaignReminder` row per
  (member, day), the in-app notification: orgs/reminder_batches.py (`campaign_reminder_send`
  for one member);
* the SMS after the batch commits, their retries and the sweep: orgs/reminder_sms.py (outbox);
* how runs go — leases against overlapping runs, progress per batch, resuming a killed "remind
  now", the midnight cut-off: orgs/reminder_runs.py;
* the words: orgs/reminder_texts.py.

Here, whom to remind:
* Batches (BATCH members by id, keyset): members already reminded today are left out with
  NOT EXISTS on the (member, day) unique index, so a batch costs the same however many were
  reminded before it.
* Members who declined the membership are never reminded; members who already met every
  target of the campaign never are either (checked at send time, from the latest-status row).
* What is asked follows the member's state (issue 21): a member awaiting confirmation is asked
  to confirm (never "declare": the organisation does not know whether they did), a confirmed
  one who has not declared to declare, the others to send today's update — each text with the
  short link and the SMS keyword that does it.
The texts say nothing about health: only the organisation's name and what is asked — and not
even the name when it carries a phone number or a web address (`orgs.names.unit_name_allowed`,
what a new name may not: an older unit's name is not changed, the texts say "your organisation").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db.models import BooleanField, Exists, ExpressionWrapper, Max, Min, OuterRef, Q
from django.utils import timezone

from khaibao.orgs.access import subtree_q
from khaibao.orgs.compliance import declared_q, member_status_q
from khaibao.orgs.models import Campaign, CampaignReminder, Member, OrgUnit, ReminderPolicy
from khaibao.orgs.reminder_batches import remind_batch
from khaibao.orgs.reminder_runs import BatchResult, Step, campaign_run, remind_now_run

# "Remind now" is asked, and resumed by its sweep, in reminder_runs.py; callers find both here.
from khaibao.orgs.reminder_runs import remind_now_sweep as remind_now_sweep
from khaibao.orgs.reminder_runs import unit_remind_now as unit_remind_now
from khaibao.orgs.rollups import active_campaigns

BATCH = 500

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
        return remind_batch(campaign, members, day, record=record, keep=keep, unsent=unsent, end=end)

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
