"""Refreshing the compliance rollups and taking the end-of-day snapshots (DESIGN.md §8).

For each campaign, one grouped query counts each unit's OWN members (GROUP BY unit); the
subtree totals are then summed up the tree in Python over units (≤ 10,000 per organisation),
never over members. The dashboards and the API read only these tables.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from khaibao.orgs.access import subtree_q
from khaibao.orgs.compliance import confirmed_members_q, declared_q, roster_members_q, updated_q
from khaibao.orgs.models import (
    Campaign,
    CampaignReminder,
    ComplianceSnapshot,
    Member,
    OrgUnit,
    UnitComplianceRollup,
    campaigns_in_force_q,
)
from khaibao.people.access import delegation_gives_access_q
from khaibao.people.models import Delegation, active_appointments_q

# From this local time on, the snapshot job also takes a (provisional) snapshot of today.
SNAPSHOT_FROM = (23, 55)
# Past days' rollups are kept this long (the snapshots hold the history); then pruned.
ROLLUP_KEEP_DAYS = 7


@dataclass(frozen=True)
class RefreshResult:
    campaign_id: int
    day: date
    units: int
    duration_ms: int


def active_campaigns(day: date) -> list[Campaign]:
    """Campaigns in force on `day` (`campaigns_in_force_q`)."""
    return list(
        Campaign.objects.filter(campaigns_in_force_q(day))
        .select_related("unit")
        .order_by("pk")
    )


def _own_counts(campaign: Campaign, day: date) -> dict[int, dict[str, int]]:
    rows = (
        Member.objects.filter(subtree_q(campaign.unit.path, field="unit__path"), removed_at__isnull=True)
        .values("unit_id")
        .annotate(
            # One definition of "member" (compliance.py): declined lines leave the total.
            own_members=Count("pk", filter=roster_members_q()),
            own_confirmed=Count("pk", filter=confirmed_members_q()),
            own_declined=Count("pk", filter=Q(declined_at__isnull=False)),
            own_declared=Count("pk", filter=declared_q(campaign.starts_on)),
            own_updated_today=Count("pk", filter=updated_q(day)),
        )
        .order_by()
    )
    own = {row.pop("unit_id"): row for row in rows}
    # Members reminded on `day`, whatever campaign reminded them (one reminder a day each).
    reminded = (
        CampaignReminder.objects.filter(subtree_q(campaign.unit.path, field="member__unit__path"), day=day)
        .values(unit_id=F("member__unit_id"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in reminded:
        own.setdefault(row["unit_id"], {})["own_reminded"] = row["n"]
    return own


def assisted_counts(unit_ids: list[int], now: datetime) -> dict[int, int]:
    """People assisted by each unit's volunteers, each person attributed to **one** of the units:
    a delegation that gives access (people.access.delegation_gives_access_q: consented, not
    ended, the volunteer's account active) through an appointment for one of `unit_ids` in force
    at `now` (people.models.active_appointments_q) — the rule by which the volunteer sees the
    person and is reminded about them (people.access.carer_ids).

    A person reached through several such appointments (one volunteer appointed in two branches,
    or two volunteers) counts only in the unit of the earliest of them (start, then id), so that
    the subtree totals summed up the tree count everyone once and a unit's children and its own
    row still add up to its total (docs/organisations.md, "Appointing volunteers"). The choice is
    made among `unit_ids` alone — a campaign's subtree: an appointment elsewhere does not take the
    person out of this campaign's numbers.
    """
    appointment = "volunteer__appointments__"
    first = (
        Delegation.objects.filter(
            delegation_gives_access_q(),
            active_appointments_q(now, prefix=appointment),
            volunteer__appointments__org_unit_id__in=unit_ids,
        )
        .annotate(
            unit_id=F(f"{appointment}org_unit_id"),
            # One row per person through the window: no more rows leave the database than there
            # are people assisted.
            rank=Window(
                RowNumber(), partition_by=[F("person_id")],
                order_by=[F(f"{appointment}starts_at").asc(), F(f"{appointment}id").asc()],
            ),
        )
        .filter(rank=1)
        .values_list("unit_id", flat=True)
    )
    return dict(Counter(first))


def _subtree_totals(units: list[OrgUnit], own: dict[int, dict[str, int]], assisted: dict[int, int]) -> dict[int, dict[str, int]]:
    totals: dict[int, dict[str, int]] = {}
    for unit in units:
        o = own.get(unit.pk, {})
        totals[unit.pk] = {
            "members": o.get("own_members", 0),
            "confirmed": o.get("own_confirmed", 0),
            "declined": o.get("own_declined", 0),
            "reminded": o.get("own_reminded", 0),
            "declared": o.get("own_declared", 0),
            "updated_today": o.get("own_updated_today", 0),
            "assisted_people": assisted.get(unit.pk, 0),
        }
    # Deepest first, so a child's subtree total is complete before it is added to its parent.
    for unit in sorted(units, key=lambda u: u.path.count("/"), reverse=True):
        if unit.parent_id in totals:
            parent = totals[unit.parent_id]
            for name, n in totals[unit.pk].items():
                parent[name] += n
    return totals


def compliance_refresh_campaign(*, campaign: Campaign, day: date, now: datetime | None = None) -> RefreshResult:
    """Recompute one campaign's rollup rows of `day` in one transaction (idempotent).

    Every unit of the campaign's subtree gets a row (zeros included), so the dashboard lists
    quiet units too; archived units keep counting their members until they are moved.
    """
    started = time.monotonic()
    now = now or timezone.now()
    with transaction.atomic():
        units = list(OrgUnit.objects.filter(subtree_q(campaign.unit.path)).only("pk", "parent_id", "path"))
        own = _own_counts(campaign, day)
        assisted = assisted_counts([u.pk for u in units], now)
        totals = _subtree_totals(units, own, assisted)
        rows = [
            UnitComplianceRollup(
                campaign=campaign, unit_id=unit.pk, day=day, refreshed_at=now,
                own_members=own.get(unit.pk, {}).get("own_members", 0),
                own_confirmed=own.get(unit.pk, {}).get("own_confirmed", 0),
                own_declined=own.get(unit.pk, {}).get("own_declined", 0),
                own_reminded=own.get(unit.pk, {}).get("own_reminded", 0),
                own_declared=own.get(unit.pk, {}).get("own_declared", 0),
                own_updated_today=own.get(unit.pk, {}).get("own_updated_today", 0),
                **totals[unit.pk],
            )
            for unit in units
        ]
        UnitComplianceRollup.objects.filter(campaign=campaign, day=day).delete()
        UnitComplianceRollup.objects.bulk_create(rows, batch_size=1000)
    return RefreshResult(campaign.pk, day, len(rows), int((time.monotonic() - started) * 1000))


def compliance_refresh(*, now: datetime | None = None) -> list[RefreshResult]:
    """Today's rollups of every campaign in force (the periodic job, every 60 s)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    return [compliance_refresh_campaign(campaign=c, day=day, now=now) for c in active_campaigns(day)]


def _copy_to_snapshot(campaign_id: int, day: date, *, final: bool, now: datetime) -> int:
    rows: list[Any] = list(
        UnitComplianceRollup.objects.filter(campaign_id=campaign_id, day=day).values(
            "unit_id", "members", "confirmed", "declined", "declared", "updated_today", "assisted_people", "reminded"
        )
    )
    with transaction.atomic():
        ComplianceSnapshot.objects.filter(campaign_id=campaign_id, day=day).delete()
        ComplianceSnapshot.objects.bulk_create(
            [ComplianceSnapshot(campaign_id=campaign_id, day=day, final=final, taken_at=now, **r) for r in rows],
            batch_size=1000,
        )
    return len(rows)


def compliance_snapshot(*, now: datetime | None = None) -> int:
    """Freeze the daily report: yesterday's final numbers, and today's from 23:55 local.

    Yesterday: for each campaign in force yesterday without a final snapshot, copy yesterday's
    last rollup (refreshed up to the last minute of the day; refreshed once more now if the
    periodic job never ran yesterday). Rollups of a past day never change, so running it again
    rewrites the same rows — and a final snapshot is never taken twice. From 23:55 a
    provisional snapshot of today is (re)taken from a fresh refresh, so the report exists even
    if the first run of tomorrow is late. Rollups older than `ROLLUP_KEEP_DAYS` are pruned.
    Returns the number of snapshot rows written.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    yesterday = today - timedelta(days=1)
    written = 0
    for campaign in active_campaigns(yesterday):
        if ComplianceSnapshot.objects.filter(campaign=campaign, day=yesterday, final=True).exists():
            continue
        if not UnitComplianceRollup.objects.filter(campaign=campaign, day=yesterday).exists():
            # The best we can do after the fact: last_update_day on yesterday still tells who
            # updated for it, unless they updated again for today.
            compliance_refresh_campaign(campaign=campaign, day=yesterday, now=now)
        written += _copy_to_snapshot(campaign.pk, yesterday, final=True, now=now)
    if (local.hour, local.minute) >= SNAPSHOT_FROM:
        for campaign in active_campaigns(today):
            compliance_refresh_campaign(campaign=campaign, day=today, now=now)
            written += _copy_to_snapshot(campaign.pk, today, final=False, now=now)
    UnitComplianceRollup.objects.filter(day__lt=today - timedelta(days=ROLLUP_KEEP_DAYS)).delete()
    return written

