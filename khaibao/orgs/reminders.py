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
  spend what zone warnings need. Over budget the SMS is skipped, not queued (logged and counted
  in `OrgSmsDailyCounter.refused`); the member still counts as reminded today.
* A `CampaignReminder` row per (member, day), inserted before sending, makes it at most one
  reminder per member per day across campaigns and repeated runs.
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
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khaibao.accounts.models import Account
from khaibao.accounts.sms import send_sms, sms_fit
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.notifications.labels import KIND_CAMPAIGN_REMINDER
from khaibao.notifications.preferences import preference_for
from khaibao.notifications.services import notify_account
from khaibao.orgs import tasks as orgs_tasks
from khaibao.orgs.access import subtree_q
from khaibao.orgs.compliance import TrendPoint, UnitReport, declared_q, member_status_q
from khaibao.orgs.models import Campaign, CampaignReminder, Member, OrgUnit, ReminderPolicy, UnitReminderRun
from khaibao.orgs.rollups import active_campaigns
from khaibao.orgs.services import unit_name_allowed
from khaibao.orgs.sms_budget import org_sms_budget_return, org_sms_budget_take, organisation_of

logger = logging.getLogger(__name__)

BATCH = 500


def campaign_members_to_remind(
    campaign: Campaign, day: date, *, after: int = 0, limit: int = BATCH, within: OrgUnit | None = None
) -> list[Member]:
    """Members of the campaign's subtree (or of `within`, a unit below it) who have not met its
    targets on `day` and were not reminded today, by id (keyset)."""
    if not (campaign.target_declared or campaign.target_updated_daily):
        return []
    return list(
        Member.objects.filter(
            subtree_q(campaign.unit.path, field="unit__path"),
            subtree_q((within or campaign.unit).path, field="unit__path"),
            removed_at__isnull=True,
            declined_at__isnull=True,
            pk__gt=after,
        )
        .filter(member_status_q("not_done", campaign, day))
        .exclude(pk__in=CampaignReminder.objects.filter(day=day).values("member_id"))
        .select_related("account", "unit")
        .annotate(
            has_declared=ExpressionWrapper(declared_q(campaign.starts_on), output_field=BooleanField()),
        )
        .order_by("pk")[:limit]
    )


# What a member is asked, from their state (issue 21): confirm, then declare, then update.
ASK_CONFIRM, ASK_DECLARE, ASK_UPDATE = "confirm", "declare", "update"


def reminder_ask(campaign: Campaign, member: Member) -> str:
    if member.confirmed_at is None:
        return ASK_CONFIRM
    if campaign.target_declared and not getattr(member, "has_declared", False):
        return ASK_DECLARE
    return ASK_UPDATE


def short_link(path: str = "") -> str:
    """PUBLIC_BASE_URL without its scheme, plus `path`: short enough for an SMS ("khaibao.vn/tv")."""
    base = settings.PUBLIC_BASE_URL.split("://", 1)[-1].rstrip("/")
    return base + path


# The web's short path for the memberships page (khaibao.web.urls: "tv/" → /memberships/).
CONFIRM_PATH = "/tv"


def unit_label(unit: OrgUnit) -> Any:
    """Who the reminder is from: the unit's name, or "your organisation" when the name carries a
    phone number or a web address (a name made before such names were refused)."""
    return unit.name if unit_name_allowed(unit.name) else gettext_lazy("Your organisation")


def _texts(campaign: Campaign, member: Member, day: date) -> tuple[Any, Any, str]:
    """Title, body and in-app link for what `member` still has to do (no health content)."""
    ask = reminder_ask(campaign, member)
    title = gettext_lazy("A reminder from your organisation")
    unit = unit_label(member.unit)
    if ask == ASK_CONFIRM:
        if member.account_id is None:
            body = format_lazy(
                gettext_lazy(
                    "{unit} lists you as a member in Khai Báo. To confirm, sign in at {link} with this phone; "
                    "registered by SMS? Text XN to confirm, TUCHOI if it is not you."
                ),
                unit=unit, link=short_link(CONFIRM_PATH),
            )
        else:
            body = format_lazy(
                gettext_lazy(
                    "{unit} lists you as a member: confirm at {link}, or text XN (TUCHOI if it is not you)."
                ),
                unit=unit, link=short_link(CONFIRM_PATH),
            )
        return title, body, "/memberships/"
    if ask == ASK_DECLARE:
        body = format_lazy(
            gettext_lazy(
                "{unit} asks you to send your health declaration at {link}. No smartphone? Text TROGIUP to learn "
                "who can declare for you."
            ),
            unit=unit, link=short_link(),
        )
        return title, body, "/"
    body = format_lazy(
        gettext_lazy(
            "{unit} asks you to send today's health update at {link}, or text OK if you are well today."
        ),
        unit=unit, link=short_link(),
    )
    return title, body, "/"


def policy_sends_sms(policy: str) -> bool:
    """Whether reminders under `policy` go by SMS too — and so whether members without an
    account (reachable only by the roster phone) are reminded at all. The dashboard says what
    this decides (`ReminderInfo.reaches_without_account`)."""
    return policy == ReminderPolicy.IN_APP_AND_SMS


def policy_label(campaign: Campaign) -> str:
    """The campaign's reminder policy in words (the model's label), for the page and the API."""
    return str(campaign.get_reminder_policy_display())


def campaign_reminder_send(*, campaign: Campaign, member: Member, day: date) -> bool:
    """Remind one member if nobody reminded them today; True when a reminder went out."""
    sms_allowed = policy_sends_sms(campaign.reminder_policy)
    if member.account_id is None and not sms_allowed:
        return False
    title, body, link = _texts(campaign, member, day)
    channel = "in_app" if member.account_id is not None else "sms"
    organisation = organisation_of(member.unit)
    try:
        with transaction.atomic():
            CampaignReminder.objects.create(member=member, day=day, campaign=campaign, channel=channel)
            phone, language = "", "vi"
            if member.account is not None:
                # In-app, e-mail and Web Push as the account chose; its SMS is sent below, on the
                # organisations' budget, not as a notification delivery (the health budget's).
                notification = notify_account(
                    account=member.account,
                    kind=KIND_CAMPAIGN_REMINDER,
                    title=title,  # type: ignore[arg-type]
                    body=body,  # type: ignore[arg-type]
                    link=link,
                    dedupe_key=f"campaign-reminder:{campaign.pk}:{day.isoformat()}:{member.pk}",
                )
                if sms_allowed and notification is not None:
                    pref = preference_for(member.account)
                    if pref.sms and member.account.phone:
                        phone, language = member.account.phone, pref.language or "vi"
            else:
                phone = member.phone
            if phone:
                with translation.override(language):
                    text = _fit_sms(str(title), str(body), unit=str(unit_label(member.unit)))
                transaction.on_commit(lambda: _send_sms(phone, text, organisation), robust=True)
    except IntegrityError:  # reminded a moment ago by another run
        return False
    return True


def _fit_sms(title: str, body: str, *, unit: str) -> str:
    """Within SMS_MAX_CHARS (`accounts.sms.sms_fit`): the title gives way first, then the end of
    the unit's name, so that the link and the keyword after it survive however long the name is."""
    if unit and body.startswith(unit):  # every text names the unit first, in both languages
        rest = body[len(unit) :]
        tail = rest.lstrip()
        return sms_fit(title=title, body=unit, tail=tail, title_sep=": ", tail_sep=rest[: len(rest) - len(tail)])
    return sms_fit(title=title, body=body, title_sep=": ")


def _send_sms(phone: str, text: str, organisation: str) -> None:
    # The organisations' own daily budget (orgs/sms_budget.py), which logs a refusal.
    if not org_sms_budget_take(organisation):
        return
    try:
        send_sms(to=phone, body=text)
    except Exception:
        org_sms_budget_return(organisation)
        logger.exception("campaign reminder SMS failed")


def _send_all(campaign: Campaign, day: date, within: OrgUnit | None = None) -> int:
    sent = 0
    after = 0
    while True:
        members = campaign_members_to_remind(campaign, day, after=after, within=within)
        if not members:
            return sent
        for member in members:
            sent += campaign_reminder_send(campaign=campaign, member=member, day=day)
        after = members[-1].pk


# --- "Remind now" (issue 17): an admin reminds a unit's subtree, at most once per unit a day ---


def unit_remind_now(*, actor: Account, unit: OrgUnit, campaign: Campaign, ip: str = "") -> UnitReminderRun:
    """Ask for the reminders of `unit`'s subtree now; the worker sends them (unit_remind_now_run).

    `unit` comes from orgs.access (in the admin's subtree) and `campaign` covers it. Refused
    when the campaign sends no reminders, is not in force today, or the unit was already
    reminded today (by anyone). Members reminded now are not reminded again today — not even
    by the evening job; members already reminded today are skipped.
    """
    day = timezone.localdate()
    if campaign.reminder_policy == ReminderPolicy.NONE:
        raise ServiceError(
            _("This campaign sends no reminders. Change its reminder policy first."), code="no_reminders", status=409
        )
    if not campaign.in_force(day):
        raise ServiceError(_("This campaign is not in force today."), code="not_in_force", status=409)
    earlier = UnitReminderRun.objects.filter(unit=unit, day=day).first()
    if earlier is not None:
        raise _already(earlier)
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


def _already(run: UnitReminderRun) -> ServiceError:
    return ServiceError(
        _("This unit was already reminded today at %(time)s. Reminders can be sent once a day per unit.")
        % {"time": timezone.localtime(run.requested_at).strftime("%H:%M")},
        code="already_reminded",
        status=409,
    )


def _enqueue_remind_now(run_id: int) -> None:
    orgs_tasks.unit_remind_now_task.enqueue(run_id)


def unit_remind_now_run(run_id: int) -> int:
    """The worker's half: send the run's reminders and record how many went out (idempotent)."""
    run = UnitReminderRun.objects.select_related("unit", "campaign__unit").get(pk=run_id)
    if run.finished_at is not None:
        return run.sent
    sent = _send_all(run.campaign, run.day, within=run.unit)
    UnitReminderRun.objects.filter(pk=run.pk).update(sent=sent, finished_at=timezone.now())
    return sent


def campaign_reminders_send(*, day: date | None = None) -> int:
    """Remind non-compliant members of every campaign in force with a reminder policy.

    Acts from `DAILY_REMINDER_HOUR` local time on (the caller checks). Returns reminders sent.
    """
    day = day or timezone.localdate()
    sent = 0
    for campaign in active_campaigns(day):
        if campaign.reminder_policy == ReminderPolicy.NONE:
            continue
        sent += _send_all(campaign, day)
    return sent


# --- Reminders: what the dashboard says about them (issue 17) --------------------------------


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
    reminded_today: int  # members of the subtree reminded today (as of the last refresh)
    last_day: date | None  # the last day anyone of the subtree was reminded
    last_count: int

    @property
    def can_remind_now(self) -> bool:
        # What unit_remind_now would accept (bar a run asked meanwhile): no button that answers 409.
        return self.policy != ReminderPolicy.NONE and self.in_force and self.today_run is None


def reminder_info(unit: OrgUnit, campaign: Campaign, report: UnitReport, points: list[TrendPoint]) -> ReminderInfo:
    """The schedule, today's "remind now" and the last reminder's count, from the rollups and
    snapshots already read for the page plus one small lookup (never the member table)."""
    today = timezone.localdate()
    reminded_today = report.unit.reminded if report.day == today else 0
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
        today_run=UnitReminderRun.objects.filter(unit=unit, day=today).select_related("requested_by").first(),
        reminded_today=reminded_today,
        last_day=last_day,
        last_count=last_count,
    )
