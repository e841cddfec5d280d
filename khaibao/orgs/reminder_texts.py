"""The words of an organisation's reminder (no health content): what a member is asked —
confirm, then declare, then update —, who it is from, the short link, and the policy in words."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from khaibao.orgs.models import Campaign, Member, OrgUnit, ReminderPolicy
from khaibao.orgs.names import unit_name_allowed

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


def reminder_texts(campaign: Campaign, member: Member, day: date, *, sms: bool = False) -> tuple[Any, Any, str]:
    """Title, body and in-app link for what `member` still has to do (no health content).

    `sms`: the words of the SMS — the short link and the keyword that does it by text. The in-app
    notification (and its e-mail and Web Push) says what to do without them: its link opens the
    page, and "text OK" means nothing inside the app (browser review)."""
    ask = reminder_ask(campaign, member)
    title = gettext_lazy("A reminder from your organisation")
    unit = unit_label(member.unit)
    if not sms and member.account_id is not None:
        return title, _in_app_body(ask, unit), "/memberships/" if ask == ASK_CONFIRM else "/"
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


def _in_app_body(ask: str, unit: Any) -> Any:
    if ask == ASK_CONFIRM:
        text = gettext_lazy("{unit} lists you as a member. Confirm it, or decline if it is not you.")
    elif ask == ASK_DECLARE:
        text = gettext_lazy("{unit} asks you to send your health declaration.")
    else:
        text = gettext_lazy("{unit} asks you to send today's health update.")
    return format_lazy(text, unit=unit)


def policy_sends_sms(policy: str) -> bool:
    """Whether reminders under `policy` go by SMS too — and so whether members without an
    account (reachable only by the roster phone) are reminded at all. The dashboard says what
    this decides (`ReminderInfo.reaches_without_account`)."""
    return policy == ReminderPolicy.IN_APP_AND_SMS


def policy_label(campaign: Campaign) -> str:
    """The campaign's reminder policy in words (the model's label), for the page and the API."""
    return str(campaign.get_reminder_policy_display())
