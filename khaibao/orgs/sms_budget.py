"""The organisations' daily SMS budget: campaign reminders by SMS (orgs/reminder_batches.py) count here,
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
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from khaibao.orgs.models import OrgSmsDailyCounter, OrgUnit

logger = logging.getLogger(__name__)

# The row counting every organisation's SMS of the day.
ALL_ORGANISATIONS = ""


def organisation_of(unit: OrgUnit) -> str:
    """The organisation `unit` belongs to, as the budget counts it: its root unit's path (code)."""
    return unit.path.split("/", 1)[0]


def org_sms_budget_take(organisation: str, wanted: int = 1, *, day: date | None = None) -> int:
    """Take up to `wanted` reminder SMS of `organisation` (`organisation_of`) from today's budgets
    at once: its share `ORG_SMS_PER_ORG_DAILY` and all organisations' `ORG_SMS_DAILY_BUDGET`.
    Returns how many may be sent; the rest are counted `refused` on both rows. A batch of
    reminders takes its SMS in one transaction (orgs/reminder_batches.py), not one statement each on
    the same hot rows. `day`: the local day the SMS are for (default today)."""
    if wanted <= 0:
        return 0
    day = day or timezone.localdate()
    keys = sorted({organisation, ALL_ORGANISATIONS})
    OrgSmsDailyCounter.objects.bulk_create(
        [OrgSmsDailyCounter(day=day, organisation=key) for key in keys], ignore_conflicts=True
    )
    with transaction.atomic():
        # Both rows locked in one order (every sender sorts them alike): no deadlock.
        rows = {
            row.organisation: row
            for row in OrgSmsDailyCounter.objects.select_for_update().filter(day=day, organisation__in=keys)
            .order_by("organisation")
        }
        own, every = rows[organisation], rows[ALL_ORGANISATIONS]
        granted = max(
            0, min(wanted, settings.ORG_SMS_PER_ORG_DAILY - own.sent, settings.ORG_SMS_DAILY_BUDGET - every.sent)
        )
        refused = wanted - granted
        OrgSmsDailyCounter.objects.filter(pk__in=[own.pk, every.pk]).update(
            sent=F("sent") + granted, refused=F("refused") + refused
        )
    if refused:
        logger.warning(
            "campaign reminder SMS refused: the daily budget is spent (organisation %s, %s of %s refused)",
            organisation, refused, wanted,
        )
    return granted


def org_sms_budget_return(organisation: str, count: int = 1, *, day: date | None = None) -> None:
    """Give back `count` SMS taken and not sent (the gateway refused them, or the day ended): a
    text that never went out costs nothing. `day`: the day they were taken for — after midnight
    too, so that the next day never gets a budget it did not spend."""
    if count <= 0:
        return
    OrgSmsDailyCounter.objects.filter(
        day=day or timezone.localdate(), organisation__in={organisation, ALL_ORGANISATIONS}
    ).update(sent=Greatest(F("sent") - count, 0))
