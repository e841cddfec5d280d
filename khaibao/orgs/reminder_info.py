"""What a unit's compliance dashboard says about its campaign's reminders (issue 17): the
schedule, today's "remind now" and its state, the members the SMS budget left out, the last
reminder's count — from the rollups and snapshots the page already read, never the member table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone

from khaibao.orgs.compliance_numbers import TrendPoint, UnitReport
from khaibao.orgs.models import Campaign, CampaignReminderRun, OrgUnit, ReminderPolicy, UnitReminderRun
from khaibao.orgs.reminder_runs import run_stalled
from khaibao.orgs.reminder_texts import policy_label, policy_sends_sms


@dataclass(frozen=True)
class ReminderInfo:
    hour: int  # DAILY_REMINDER_HOUR, local
    policy: str
    policy_label: str
    # Members without an account (never signed in) are reminded: only by SMS to the roster
    # phone, so only when the policy sends SMS (`policy_sends_sms`, what campaign_reminder_send
    # decides). Otherwise the page must not promise them a reminder.
    reaches_without_account: bool
    in_force: bool  # the campaign is in force today (Campaign.in_force)
    today_run: UnitReminderRun | None  # this unit's "remind now" today, if any
    # Unfinished with no live worker: the sweep resumes it, and asking again does at once.
    today_run_stalled: bool
    # The campaign's automatic reminders today (all its units): members whom only the roster
    # phone reaches, not reminded in the current pass because the SMS budget is spent.
    automatic_refused: int
    # Members of the subtree reminded today: the last refresh's count, or today's "remind now"
    # run's own when that is ahead of it.
    reminded_today: int
    last_day: date | None  # the last day anyone of the subtree was reminded
    last_count: int

    @property
    def can_remind_now(self) -> bool:
        # What unit_remind_now would accept (bar a run asked meanwhile): no button that answers 409.
        return self.policy != ReminderPolicy.NONE and self.in_force and (self.today_run is None or self.today_run_stalled)


def reminder_info(unit: OrgUnit, campaign: Campaign, report: UnitReport, points: list[TrendPoint]) -> ReminderInfo:
    """The schedule, today's "remind now" and the last reminder's count, from the rollups and
    snapshots already read for the page plus two small lookups (never the member table); today's
    count is at least what today's "remind now" run has sent."""
    today = timezone.localdate()
    today_run = UnitReminderRun.objects.filter(unit=unit, day=today).select_related("requested_by").first()
    reminded_today = report.unit.reminded if report.day == today else 0
    # Today's "remind now" counts as it sends; the rollup catches up only at its next refresh (up
    # to a minute), and the page must not say "no reminder yet" beside the run's own count.
    if today_run is not None:
        reminded_today = max(reminded_today, today_run.sent)
    last_day, last_count = (today, reminded_today) if reminded_today else (None, 0)
    if last_day is None:
        past = [p for p in points if p.reminded and p.day < today]
        if past:
            last_day, last_count = past[-1].day, past[-1].reminded
    return ReminderInfo(
        hour=settings.DAILY_REMINDER_HOUR,
        policy=campaign.reminder_policy,
        policy_label=policy_label(campaign),
        reaches_without_account=policy_sends_sms(campaign.reminder_policy),
        in_force=campaign.in_force(today),
        today_run=today_run,
        today_run_stalled=today_run is not None and run_stalled(today_run),
        automatic_refused=CampaignReminderRun.objects.filter(campaign=campaign, day=today)
        .values_list("refused", flat=True).first() or 0,
        reminded_today=reminded_today,
        last_day=last_day,
        last_count=last_count,
    )
