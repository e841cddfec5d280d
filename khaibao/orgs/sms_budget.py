"""The organisations' daily SMS budget: campaign reminders by SMS (orgs/reminders.py) count here,
never against the health notifications' `SMS_DAILY_BUDGET` (notifications.services.sms_budget_take).

An organisation admin chooses who is on a roster and sends "remind now": on the health budget a
single admin could spend the day's SMS and leave zone warnings unsent. So the reminders have
their own budget, `ORG_SMS_DAILY_BUDGET` a local day for all organisations together, and one
organisation — the tree under a root unit, its sub-units and sub-admins included — takes at most
`ORG_SMS_PER_ORG_DAILY` of it, so that one cannot leave the others none. Over either limit the
SMS is refused: not sent, not queued, counted in `OrgSmsDailyCounter.refused` and logged.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from khaibao.orgs.models import OrgSmsDailyCounter, OrgUnit

logger = logging.getLogger(__name__)

# The row counting every organisation's SMS of the day.
ALL_ORGANISATIONS = ""


def organisation_of(unit: OrgUnit) -> str:
    """The organisation `unit` belongs to, as the budget counts it: its root unit's path (code)."""
    return unit.path.split("/", 1)[0]


def org_sms_budget_take(organisation: str) -> bool:
    """Count one reminder SMS of `organisation` (`organisation_of`) against today's budgets;
    False (and counted as refused) when its share or the organisations' budget is spent."""
    day = timezone.localdate()
    # get_or_create settles a race on a day's row by itself; each conditional UPDATE is atomic.
    for key in (organisation, ALL_ORGANISATIONS):
        OrgSmsDailyCounter.objects.get_or_create(day=day, organisation=key)
    rows = OrgSmsDailyCounter.objects.filter(day=day)
    with transaction.atomic():
        if not rows.filter(organisation=organisation, sent__lt=settings.ORG_SMS_PER_ORG_DAILY).update(sent=F("sent") + 1):
            spent = "ORG_SMS_PER_ORG_DAILY"
        elif not rows.filter(organisation=ALL_ORGANISATIONS, sent__lt=settings.ORG_SMS_DAILY_BUDGET).update(
            sent=F("sent") + 1
        ):
            rows.filter(organisation=organisation, sent__gt=0).update(sent=F("sent") - 1)
            spent = "ORG_SMS_DAILY_BUDGET"
        else:
            return True
        rows.filter(organisation__in=[organisation, ALL_ORGANISATIONS]).update(refused=F("refused") + 1)
    logger.warning("campaign reminder SMS refused: the daily budget is spent (%s, organisation %s)", spent, organisation)
    return False


def org_sms_budget_return(organisation: str) -> None:
    # A text the gateway refused costs nothing, so its slot goes back to both budgets.
    OrgSmsDailyCounter.objects.filter(
        day=timezone.localdate(), organisation__in=[organisation, ALL_ORGANISATIONS], sent__gt=0
    ).update(sent=F("sent") - 1)

