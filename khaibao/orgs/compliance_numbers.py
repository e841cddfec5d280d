"""Units' compliance numbers for organisation admins, from the rollup and snapshot tables only
(khaibao.orgs.rollups), never from raw rows: a unit's subtree totals and its children's for a day
(ranked), its daily trend, and every unit of a subtree for the report file.

What the numbers count — members, confirmed, declared, updated today — is orgs.compliance's rule
(the rollups apply it); here they are read and divided (`pct`: shares of confirmed members).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from khaibao.orgs.access import subtree_q
from khaibao.orgs.models import Campaign, ComplianceSnapshot, OrgUnit, UnitComplianceRollup

TREND_DAYS = 30


@dataclass(frozen=True)
class UnitNumbers:
    unit_id: int
    code: str
    name: str
    path: str
    members: int  # confirmed + awaiting confirmation (declined and removed lines are out)
    confirmed: int
    declined: int
    declared: int
    updated_today: int
    assisted_people: int
    reminded: int = 0  # members reminded that day (automatic or "remind now")
    direct: bool = False  # the unit's own roster and volunteers, without the units below

    @property
    def awaiting(self) -> int:
        return self.members - self.confirmed

    @property
    def declared_pct(self) -> float:
        return pct(self.declared, self.confirmed)

    @property
    def updated_pct(self) -> float:
        return pct(self.updated_today, self.confirmed)


def pct(n: int, confirmed: int) -> float:
    """A share of confirmed members, one decimal (0 when nobody confirmed yet)."""
    return round(100 * n / confirmed, 1) if confirmed else 0.0


@dataclass(frozen=True)
class UnitReport:
    campaign: Campaign
    day: date
    unit: UnitNumbers
    children: list[UnitNumbers]  # ranked: declared %, then updated-today %, then name
    refreshed_at: datetime | None
    from_snapshot: bool
    # The unit's own roster and its own volunteers' assisted people, so that the children and
    # this row add up to the unit's total (None when it has nothing of its own).
    direct: UnitNumbers | None = None


NUMBER_FIELDS = ("members", "confirmed", "declined", "declared", "updated_today", "assisted_people", "reminded")


def _numbers(unit: OrgUnit, row: Any) -> UnitNumbers:
    return UnitNumbers(
        unit_id=unit.pk, code=unit.code, name=unit.name, path=unit.path,
        **{name: int(getattr(row, name, 0)) for name in NUMBER_FIELDS},  # type: ignore[arg-type]
    )


def _direct(total: UnitNumbers, children: list[UnitNumbers]) -> UnitNumbers | None:
    own = {name: getattr(total, name) - sum(getattr(c, name) for c in children) for name in NUMBER_FIELDS}
    if not any(own.values()):
        return None
    return UnitNumbers(unit_id=total.unit_id, code=total.code, name=total.name, path=total.path, direct=True, **own)


def rank(rows: list[UnitNumbers]) -> list[UnitNumbers]:
    return sorted(rows, key=lambda r: (-r.declared_pct, -r.updated_pct, r.name, r.unit_id))


def unit_report(unit: OrgUnit, campaign: Campaign, day: date | None = None) -> UnitReport:
    """The unit's subtree totals and its children's for `day` (default today), ranked.

    Today reads the rollups (refreshed every minute); a past day reads its end-of-day snapshot,
    or that day's last rollup when no snapshot was taken. A constant number of queries.
    """
    today = timezone.localdate()
    day = day or today
    children = list(OrgUnit.objects.filter(parent=unit, archived_at__isnull=True).order_by("path"))
    ids = [unit.pk, *(c.pk for c in children)]
    rows: dict[int, Any] = {}
    from_snapshot = False
    refreshed_at = None
    if day < today:
        rows = {r.unit_id: r for r in ComplianceSnapshot.objects.filter(campaign=campaign, day=day, unit_id__in=ids)}
        from_snapshot = bool(rows)
        if rows:
            refreshed_at = max(r.taken_at for r in rows.values())
    if not rows:
        rows = {r.unit_id: r for r in UnitComplianceRollup.objects.filter(campaign=campaign, day=day, unit_id__in=ids)}
        if rows:
            refreshed_at = max(r.refreshed_at for r in rows.values())
    total = _numbers(unit, rows.get(unit.pk))
    # Archived children are empty (only an empty unit can be archived) but may still have had
    # volunteers: they fall into the "directly" row rather than vanish from the sum.
    numbers = [_numbers(c, rows.get(c.pk)) for c in children]
    return UnitReport(
        campaign=campaign,
        day=day,
        unit=total,
        children=rank(numbers),
        refreshed_at=refreshed_at,
        from_snapshot=from_snapshot,
        direct=_direct(total, numbers) if children else None,
    )


@dataclass(frozen=True)
class TrendPoint:
    day: date
    members: int
    confirmed: int
    declared: int
    updated_today: int
    reminded: int = 0


def unit_trend(unit: OrgUnit, campaign: Campaign, *, days: int = TREND_DAYS) -> list[TrendPoint]:
    """The unit's daily snapshots over the last `days` days, oldest first (one query)."""
    since = timezone.localdate() - timedelta(days=days)
    return [
        TrendPoint(
            day=r.day, members=r.members, confirmed=r.confirmed, declared=r.declared,
            updated_today=r.updated_today, reminded=r.reminded,
        )
        for r in ComplianceSnapshot.objects.filter(campaign=campaign, unit=unit, day__gte=since).order_by("day")
    ]


def report_rows(unit: OrgUnit, campaign: Campaign, day: date) -> Iterator[UnitNumbers]:
    """Every unit of the subtree with its subtree totals for `day`, by path (for the export).

    Snapshots for a finished day when there are any, else the day's rollups; iterated in
    batches so a 10,000-unit report is never held whole.
    """
    table: Any = UnitComplianceRollup
    if day < timezone.localdate() and ComplianceSnapshot.objects.filter(campaign=campaign, unit=unit, day=day).exists():
        table = ComplianceSnapshot
    rows = (
        table.objects.filter(subtree_q(unit.path, field="unit__path"), campaign=campaign, day=day)
        .select_related("unit")
        .order_by("unit__path")
    )
    for row in rows.iterator(chunk_size=1000):
        yield _numbers(row.unit, row)
