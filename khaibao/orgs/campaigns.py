"""Writes for campaigns: create, update and archive a unit's campaign (the compliance rule it sets:
compliance.py; its reminders: reminders.py).

As orgs/services.py: every function runs in one transaction and leaves one audit event in it;
callers pass objects they obtained through `orgs.access` (so scope is already checked).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.core.params import date_in_range, date_range_message
from khaibao.orgs.models import Campaign, OrgUnit, ReminderPolicy
from khaibao.orgs.names import clean_name


def _campaign_fields(
    *, name: str, starts_on: date | None, deadline: date | None, target_declared: bool,
    target_updated_daily: bool, reminder_policy: str,
) -> dict[str, Any]:
    problems: dict[str, str] = {}
    clean = ""
    try:
        clean = clean_name(name)
    except ServiceError as exc:
        problems.update(exc.fields)
    if starts_on is None:
        problems["starts_on"] = _("Enter the start date.")
    if deadline is None:
        problems["deadline"] = _("Enter the deadline.")
    if starts_on and deadline and deadline < starts_on:
        problems["deadline"] = _("The deadline cannot be before the start.")
    for field, day in (("starts_on", starts_on), ("deadline", deadline)):
        # Year 1 or 9999 passes the console's form and then overflows, every minute, in the
        # compliance tasks that count the campaign's days (core/params.py owns the range).
        if day is not None and not date_in_range(day):
            problems[field] = date_range_message()
    if not (target_declared or target_updated_daily):
        problems["target_declared"] = _("Choose at least one target.")
    if reminder_policy not in ReminderPolicy.values:
        problems["reminder_policy"] = _("Choose a reminder policy.")
    if problems:
        raise ServiceError(_("Check the highlighted fields."), fields=problems)
    return {
        "name": clean, "starts_on": starts_on, "deadline": deadline, "target_declared": target_declared,
        "target_updated_daily": target_updated_daily, "reminder_policy": reminder_policy,
    }


def campaign_create(
    *, actor: Account, unit: OrgUnit, name: str, starts_on: date | None, deadline: date | None,
    target_declared: bool = True, target_updated_daily: bool = True,
    reminder_policy: str = ReminderPolicy.IN_APP, ip: str = "",
) -> Campaign:
    """A campaign over `unit`'s subtree."""
    if unit.archived_at is not None:
        raise ServiceError.for_field("unit", _("This unit is archived."))
    values = _campaign_fields(
        name=name, starts_on=starts_on, deadline=deadline, target_declared=target_declared,
        target_updated_daily=target_updated_daily, reminder_policy=reminder_policy,
    )
    if values["deadline"] < timezone.localdate():
        raise ServiceError.for_field("deadline", _("The deadline is already past."))
    with transaction.atomic():
        campaign = Campaign.objects.create(unit=unit, created_by=actor, **values)
        audit_record(actor=actor, action="orgs.campaign_create", obj=campaign, ip=ip, data={"unit_id": unit.pk})
    return campaign


def campaign_update(
    *, actor: Account, campaign: Campaign, name: str, starts_on: date | None, deadline: date | None,
    target_declared: bool, target_updated_daily: bool, reminder_policy: str, ip: str = "",
) -> Campaign:
    """Change a campaign that is not archived."""
    if campaign.archived_at is not None:
        raise ServiceError(_("This campaign is archived."), code="archived", status=409)
    values = _campaign_fields(
        name=name, starts_on=starts_on, deadline=deadline, target_declared=target_declared,
        target_updated_daily=target_updated_daily, reminder_policy=reminder_policy,
    )
    with transaction.atomic():
        for key, value in values.items():
            setattr(campaign, key, value)
        campaign.save(update_fields=list(values))
        audit_record(actor=actor, action="orgs.campaign_update", obj=campaign, ip=ip)
    return campaign


def campaign_archive(*, actor: Account, campaign: Campaign, ip: str = "") -> Campaign:
    if campaign.archived_at is not None:
        return campaign
    with transaction.atomic():
        campaign.archived_at = timezone.now()
        campaign.save(update_fields=["archived_at"])
        audit_record(actor=actor, action="orgs.campaign_archive", obj=campaign, ip=ip)
    return campaign
