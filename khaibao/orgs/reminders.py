"""Compliance reminders to campaign members (issue 7): at most one per member per day.

A dedicated job rather than a `DAILY_REMINDER_SOURCES` source: that hook reminds the carers of
a *person* to send the daily update, while a campaign reminds a *roster line* — who may have
no account yet — to declare and/or update. Decisions:

* Linked members with an account get an in-app notification through `notify_account`
  (dedupe key "campaign-reminder:{campaign}:{day}:{member}"), plus SMS when the campaign's
  policy is "in-app and SMS" and the account allows SMS.
* Members with no account yet are reachable only by the roster phone: an SMS through
  `khaibao.accounts.sms.send_sms`, only when the policy allows SMS, counted against the
  notifications' `SMS_DAILY_BUDGET` (skipped, not queued, once the budget is spent).
* A `CampaignReminder` row per (member, day), inserted before sending, makes it at most one
  reminder per member per day across campaigns and repeated runs.
* Members who declined the membership are never reminded; members who already met every
  target of the campaign never are either (checked at send time, from the latest-status row).
The texts say nothing about health: only the organisation's name and what is asked.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from khaibao.accounts.sms import send_sms
from khaibao.notifications.services import notify_account, sms_budget_take
from khaibao.orgs.access import subtree_q
from khaibao.orgs.compliance import declared_q, updated_q
from khaibao.orgs.models import Campaign, CampaignReminder, Member, ReminderPolicy
from khaibao.orgs.rollups import active_campaigns

logger = logging.getLogger(__name__)

KIND_CAMPAIGN_REMINDER = "campaign_reminder"
BATCH = 500


def _needs_reminder_q(campaign: Campaign, day: date) -> Q:
    compliant = Q()
    if campaign.target_declared:
        compliant &= declared_q(campaign.starts_on)
    if campaign.target_updated_daily:
        compliant &= updated_q(day)
    return ~compliant


def campaign_members_to_remind(campaign: Campaign, day: date, *, after: int = 0, limit: int = BATCH) -> list[Member]:
    """Members of the campaign's subtree who have not met its targets on `day`, by id (keyset)."""
    if not (campaign.target_declared or campaign.target_updated_daily):
        return []
    return list(
        Member.objects.filter(
            subtree_q(campaign.unit.path, field="unit__path"),
            removed_at__isnull=True,
            declined_at__isnull=True,
            pk__gt=after,
        )
        .filter(_needs_reminder_q(campaign, day))
        .exclude(pk__in=CampaignReminder.objects.filter(day=day).values("member_id"))
        .select_related("account", "unit")
        .order_by("pk")[:limit]
    )


def _texts(campaign: Campaign, member: Member, day: date) -> tuple[object, object]:
    declare = campaign.target_declared and not Member.objects.filter(
        declared_q(campaign.starts_on), pk=member.pk
    ).exists()
    title = gettext_lazy("A reminder from your organisation")
    if declare:
        body = format_lazy(
            gettext_lazy("{unit} asks you to send your health declaration in Khai Báo."), unit=member.unit.name
        )
    else:
        body = format_lazy(
            gettext_lazy("{unit} asks you to send today's health update in Khai Báo."), unit=member.unit.name
        )
    return title, body


def campaign_reminder_send(*, campaign: Campaign, member: Member, day: date) -> bool:
    """Remind one member if nobody reminded them today; True when a reminder went out."""
    sms_allowed = campaign.reminder_policy == ReminderPolicy.IN_APP_AND_SMS
    if member.account_id is None and not sms_allowed:
        return False
    title, body = _texts(campaign, member, day)
    channel = "in_app" if member.account_id is not None else "sms"
    try:
        with transaction.atomic():
            CampaignReminder.objects.create(member=member, day=day, campaign=campaign, channel=channel)
            if member.account is not None:
                notify_account(
                    account=member.account,
                    kind=KIND_CAMPAIGN_REMINDER,
                    title=title,  # type: ignore[arg-type]
                    body=body,  # type: ignore[arg-type]
                    link="/",
                    dedupe_key=f"campaign-reminder:{campaign.pk}:{day.isoformat()}:{member.pk}",
                    sms=True if sms_allowed else None,
                )
            else:
                phone = member.phone
                with translation.override("vi"):
                    text = f"{title}: {body}"
                transaction.on_commit(lambda: _send_sms(phone, text), robust=True)
    except IntegrityError:  # reminded a moment ago by another run
        return False
    return True


def _send_sms(phone: str, text: str) -> None:
    # The notifications' daily SMS budget covers these texts too (they cost the same).
    if not sms_budget_take():
        logger.warning("campaign reminder SMS refused: daily budget spent (SMS_DAILY_BUDGET)")
        return
    try:
        send_sms(to=phone, body=text)
    except Exception:
        logger.exception("campaign reminder SMS failed")


def campaign_reminders_send(*, day: date | None = None) -> int:
    """Remind non-compliant members of every campaign in force with a reminder policy.

    Acts from `DAILY_REMINDER_HOUR` local time on (the caller checks). Returns reminders sent.
    """
    day = day or timezone.localdate()
    sent = 0
    for campaign in active_campaigns(day):
        if campaign.reminder_policy == ReminderPolicy.NONE:
            continue
        after = 0
        while True:
            members = campaign_members_to_remind(campaign, day, after=after)
            if not members:
                break
            for member in members:
                sent += campaign_reminder_send(campaign=campaign, member=member, day=day)
            after = members[-1].pk
    return sent
