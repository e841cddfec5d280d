"""Refreshing the compliance rollups and taking the end-of-day snapshots (DESIGN.md §8).

One run reads, once for all the campaigns in force, the units under them and each unit's OWN
counts (one grouped query on members, GROUP BY unit, with a "declared" column per distinct
campaign start; one on today's reminders); the subtree totals are then summed up the tree in
Python over units (≤ 10,000 per organisation), never over members. Each campaign is then written
in its own transaction, under a lock on its campaign row (a concurrent refresh of the same
campaign waits, then finds the rows written), and only the rows whose numbers changed are
written (INSERT … ON CONFLICT DO UPDATE); the rest only get `refreshed_at`. One campaign's
failure is logged with its id and the others go on; the run then fails naming them.
The dashboards and the API read only these tables.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_
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

logger = logging.getLogger(__name__)

# From this local time on, the snapshot job also takes a (provisional) snapshot of today.
SNAPSHOT_FROM = (23, 55)
# Past days' rollups are kept this long (the snapshots hold the history); then pruned.
ROLLUP_KEEP_DAYS = 7

OWN_FIELDS = ("own_members", "own_confirmed", "own_declined", "own_reminded", "own_declared", "own_updated_today")
TOTAL_FIELDS = ("members", "confirmed", "declined", "reminded", "declared", "updated_today", "assisted_people")
COUNT_FIELDS = OWN_FIELDS + TOTAL_FIELDS


@dataclass(frozen=True)
class RefreshResult:
    campaign_id: int
    day: date
    units: int
    duration_ms: int
    written: int = 0  # rows inserted or updated because their numbers changed (or were new)


class RollupRefreshFailed(Exception):
    """Some campaigns could not be refreshed (each logged with its traceback); the others were."""

    def __init__(self, job: str, failed: list[int], done: int) -> None:
        self.failed = failed
        super().__init__(f"{job}: {len(failed)} campaign(s) failed, {done} done; failed campaign ids: {failed}")


def active_campaigns(day: date) -> list[Campaign]:
    """Campaigns in force on `day` (`campaigns_in_force_q`)."""
    return list(
        Campaign.objects.filter(campaigns_in_force_q(day))
        .select_related("unit")
        .order_by("pk")
    )


def _top_paths(paths: Iterable[str]) -> list[str]:
    """The paths not below another of them: their subtrees cover all the others' once."""
    top: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(p + "/") for p in top):
            top.append(path)
    return top


@dataclass
class UnitForest:
    """The units under a set of campaigns and their own counts of `day`, read once for all of them."""

    day: date
    units: dict[int, OrgUnit] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)
    own: dict[int, dict[str, int]] = field(default_factory=dict)  # all own_* but own_declared
    declared: dict[date, dict[int, int]] = field(default_factory=dict)  # campaign start → unit → n

    def subtree(self, root_id: int) -> list[OrgUnit]:
        found, stack = [], [root_id]
        while stack:
            pk = stack.pop()
            if pk in self.units:
                found.append(self.units[pk])
                stack.extend(self.children.get(pk, ()))
        return found

    def own_counts(self, campaign: Campaign, unit_ids: list[int]) -> dict[int, dict[str, int]]:
        declared = self.declared.get(campaign.starts_on, {})
        return {
            pk: {name: self.own.get(pk, {}).get(name, 0) for name in OWN_FIELDS} | {"own_declared": declared.get(pk, 0)}
            for pk in unit_ids
        }


def unit_forest(campaigns: list[Campaign], day: date) -> UnitForest:
    """Three queries whatever the number of campaigns: the units, the members' own counts per unit
    (one "declared" column per distinct campaign start), and `day`'s reminders per unit."""
    forest = UnitForest(day=day)
    tops = _top_paths(c.unit.path for c in campaigns)
    if not tops:
        return forest
    units_q = reduce(or_, (subtree_q(p) for p in tops))
    members_q = reduce(or_, (subtree_q(p, field="unit__path") for p in tops))
    children: defaultdict[int, list[int]] = defaultdict(list)
    for unit in OrgUnit.objects.filter(units_q).only("pk", "parent_id", "path").order_by():
        forest.units[unit.pk] = unit
        if unit.parent_id is not None:
            children[unit.parent_id].append(unit.pk)
    forest.children = dict(children)
    starts = sorted({c.starts_on for c in campaigns})
    rows = (
        Member.objects.filter(members_q, removed_at__isnull=True)
        .values("unit_id")
        .annotate(
            # One definition of "member" (compliance.py): declined lines leave the total.
            own_members=Count("pk", filter=roster_members_q()),
            own_confirmed=Count("pk", filter=confirmed_members_q()),
            own_declined=Count("pk", filter=Q(declined_at__isnull=False)),
            own_updated_today=Count("pk", filter=updated_q(day)),
            **{f"declared_{i}": Count("pk", filter=declared_q(start)) for i, start in enumerate(starts)},
        )
        .order_by()
    )
    forest.declared = {start: {} for start in starts}
    for row in rows:
        unit_id = row.pop("unit_id")
        for i, start in enumerate(starts):
            forest.declared[start][unit_id] = row.pop(f"declared_{i}")
        forest.own[unit_id] = row
    # Members reminded on `day`, whatever campaign reminded them (one reminder a day each).
    reminded = (
        CampaignReminder.objects.filter(reduce(or_, (subtree_q(p, field="member__unit__path") for p in tops)), day=day)
        .values(unit_id=F("member__unit_id"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in reminded:
        forest.own.setdefault(row["unit_id"], {})["own_reminded"] = row["n"]
    return forest


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


def compliance_refresh_campaign(
    *, campaign: Campaign, day: date, now: datetime | None = None, forest: UnitForest | None = None
) -> RefreshResult:
    """Recompute one campaign's rollup rows of `day` in one transaction (idempotent).

    Every unit of the campaign's subtree gets a row (zeros included), so the dashboard lists
    quiet units too; archived units keep counting their members until they are moved. `forest`:
    the own counts read once for a whole run (`unit_forest`); read here when not given.

    Safe to run twice at once: the campaign row is locked first, so a second refresh waits for
    the first to commit, then compares with what it wrote — or, when the other one started later
    (its numbers are newer), leaves them. Only rows whose numbers changed are
    written (upsert on the unique campaign-day-unit key); the others get `refreshed_at` only;
    rows of units no longer in the subtree (moved away) are deleted.
    """
    started = time.monotonic()
    now = now or timezone.now()
    if forest is None or forest.day != day:
        forest = unit_forest([campaign], day)
    with transaction.atomic():
        if not Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk", flat=True):
            return RefreshResult(campaign.pk, day, 0, int((time.monotonic() - started) * 1000))  # deleted meanwhile
        mine = UnitComplianceRollup.objects.filter(campaign=campaign, day=day)
        rows = list(mine.values_list("unit_id", "refreshed_at", *COUNT_FIELDS))
        if any(row[1] > now for row in rows):
            # A refresh that started later (and so read later) wrote while this one waited for the
            # lock: its numbers are the newer ones, never overwritten by older (diff review F5).
            return RefreshResult(campaign.pk, day, 0, int((time.monotonic() - started) * 1000))
        units = forest.subtree(campaign.unit_id)
        ids = [unit.pk for unit in units]
        own = forest.own_counts(campaign, ids)
        totals = _subtree_totals(units, own, assisted_counts(ids, now))
        wanted = {
            pk: tuple(own[pk][name] for name in OWN_FIELDS) + tuple(totals[pk][name] for name in TOTAL_FIELDS)
            for pk in ids
        }
        stored = {row[0]: tuple(row[2:]) for row in rows}
        changed = [
            UnitComplianceRollup(campaign=campaign, unit_id=pk, day=day, refreshed_at=now, **dict(zip(COUNT_FIELDS, numbers, strict=True)))
            for pk, numbers in sorted(wanted.items())
            if stored.get(pk) != numbers
        ]
        gone = [pk for pk in stored if pk not in wanted]
        if gone:
            mine.filter(unit_id__in=gone).delete()
        if changed:
            UnitComplianceRollup.objects.bulk_create(
                changed, batch_size=1000, update_conflicts=True,
                unique_fields=["campaign", "day", "unit"], update_fields=[*COUNT_FIELDS, "refreshed_at"],
            )
        # The numbers of the other rows hold as of now ("Numbers as of" on the dashboard): one
        # statement, no index touched.
        if len(changed) < len(wanted):
            mine.exclude(refreshed_at=now).update(refreshed_at=now)
    return RefreshResult(campaign.pk, day, len(wanted), int((time.monotonic() - started) * 1000), written=len(changed))


def compliance_refresh(*, now: datetime | None = None) -> list[RefreshResult]:
    """Today's rollups of every campaign in force (the periodic job, every 60 s).

    A campaign that fails is logged with its id and the next ones are refreshed all the same;
    the run then raises RollupRefreshFailed naming the failed ones (the task row shows it)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    campaigns = active_campaigns(day)
    forest = unit_forest(campaigns, day)
    results: list[RefreshResult] = []
    failed: list[int] = []
    for campaign in campaigns:
        try:
            results.append(compliance_refresh_campaign(campaign=campaign, day=day, now=now, forest=forest))
        except Exception:
            logger.exception("compliance refresh of campaign %s for %s failed; the other campaigns go on", campaign.pk, day)
            failed.append(campaign.pk)
    if failed:
        raise RollupRefreshFailed("compliance_refresh", failed, len(results))
    return results


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
    Returns the number of snapshot rows written. A campaign that fails is logged with its id and
    the others go on; the run then raises RollupRefreshFailed naming it.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    yesterday = today - timedelta(days=1)
    written = 0
    failed: list[int] = []
    done = 0
    for campaign in active_campaigns(yesterday):
        try:
            if ComplianceSnapshot.objects.filter(campaign=campaign, day=yesterday, final=True).exists():
                continue
            if not UnitComplianceRollup.objects.filter(campaign=campaign, day=yesterday).exists():
                # The best we can do after the fact: last_update_day on yesterday still tells who
                # updated for it, unless they updated again for today.
                compliance_refresh_campaign(campaign=campaign, day=yesterday, now=now)
            written += _copy_to_snapshot(campaign.pk, yesterday, final=True, now=now)
            done += 1
        except Exception:
            logger.exception("final snapshot of campaign %s for %s failed; the other campaigns go on", campaign.pk, yesterday)
            failed.append(campaign.pk)
    if (local.hour, local.minute) >= SNAPSHOT_FROM:
        campaigns = active_campaigns(today)
        forest = unit_forest(campaigns, today)
        for campaign in campaigns:
            try:
                compliance_refresh_campaign(campaign=campaign, day=today, now=now, forest=forest)
                written += _copy_to_snapshot(campaign.pk, today, final=False, now=now)
                done += 1
            except Exception:
                logger.exception("snapshot of campaign %s for %s failed; the other campaigns go on", campaign.pk, today)
                failed.append(campaign.pk)
    UnitComplianceRollup.objects.filter(day__lt=today - timedelta(days=ROLLUP_KEEP_DAYS)).delete()
    if failed:
        raise RollupRefreshFailed("compliance_snapshot", failed, done)
    return written
