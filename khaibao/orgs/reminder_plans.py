"""One member's reminder before it goes: its words (orgs/reminder_texts.py) and whether an SMS goes
with it — to which phone, in which language, fitted to one message.

* A member with no account yet is reachable only by the roster phone: an SMS, and only when the
  campaign's policy allows SMS (the batch leaves them out otherwise, orgs/reminder_batches.py).
* A signed-in member gets the in-app notification, with the e-mail and Web Push the account
  chose (`notify_account`), plus an SMS to the account's phone when the policy is "in-app and
  SMS" and the account allows SMS, in the account's language.
Read by the batch that sends the reminder and again by the outbox's retry (orgs/reminder_sms.py):
the phone is read from the member (or the account) when the SMS is sent, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import translation

from khaibao.accounts.sms import sms_fit
from khaibao.notifications.models import ChannelPreference
from khaibao.orgs.models import Campaign, Member
from khaibao.orgs.reminder_texts import policy_sends_sms, reminder_texts, unit_label
from khaibao.orgs.sms_budget import organisation_of


@dataclass
class ReminderPlan:
    """What one member is sent (`reminder_plan`); `refused` when the SMS budget left them out."""

    member: Member
    title: Any
    body: Any
    link: str
    organisation: str
    phone: str = ""  # the SMS goes there (empty: no SMS)
    sms_text: str = ""
    refused: bool = False


def channel_preferences(members: list[Member]) -> dict[int, ChannelPreference]:
    """The channel preferences of the batch's signed-in members, in one query."""
    ids = [m.account_id for m in members if m.account_id is not None]
    return {p.account_id: p for p in ChannelPreference.objects.filter(account_id__in=ids)} if ids else {}


def reminder_plan(campaign: Campaign, member: Member, day: date, prefs: dict[int, ChannelPreference]) -> ReminderPlan:
    """The words of `member`'s reminder and, when an SMS goes, its phone and text (`prefs`: the
    batch's channel preferences, `channel_preferences`)."""
    title, body, link = reminder_texts(campaign, member, day)
    plan = ReminderPlan(member, title, body, link, organisation_of(member.unit))
    language = "vi"
    if member.account is None:
        plan.phone = member.phone
    elif policy_sends_sms(campaign.reminder_policy):
        # In-app, e-mail and Web Push as the account chose (notify_account); its SMS is sent
        # by the reminders (reminder_batches.py), on the organisations' budget, not as a
        # notification delivery.
        pref = prefs.get(member.account.pk) or ChannelPreference(account_id=member.account.pk)
        if pref.sms and member.account.phone:
            plan.phone, language = member.account.phone, pref.language or "vi"
    if plan.phone:
        sms_title, sms_body, _link = reminder_texts(campaign, member, day, sms=True)
        with translation.override(language):
            plan.sms_text = _fit_sms(str(sms_title), str(sms_body), unit=str(unit_label(member.unit)))
    return plan


def _fit_sms(title: str, body: str, *, unit: str) -> str:
    """Within SMS_MAX_CHARS (`accounts.sms.sms_fit`): the title gives way first, then the end of
    the unit's name, so that the link and the keyword after it survive however long the name is."""
    if unit and body.startswith(unit):  # every text names the unit first, in both languages
        rest = body[len(unit) :]
        tail = rest.lstrip()
        return sms_fit(title=title, body=unit, tail=tail, title_sep=": ", tail_sep=rest[: len(rest) - len(tail)])
    return sms_fit(title=title, body=body, title_sep=": ")
