"""Member compliance for organisation admins: three facts per member, counts per unit.

The only things about a member that ever leave this module are `MemberFacts`: declared since
the campaign's start (bool), updated today (bool) and the local date of the last update —
never a level, symptom, reason or anything else from the health tables. This module owns the
rule (the facts, who is a member, the members' statuses as filters), the campaign a unit's
compliance is read for, and the members page. Units' numbers are orgs.compliance_numbers', read
from the rollup and snapshot tables (khaibao.orgs.rollups), never from raw rows.

Who is a member (issue 21), one definition for the rollups, the pages, the API and the exports:

* **members** — every roster line not removed and not declined: confirmed + awaiting confirmation;
* **confirmed** — the citizen said "yes, I belong to this unit": the consent that lets the
  organisation learn the three facts. Declared and updated-today count confirmed members only,
  and the percentages divide by confirmed members;
* **awaiting confirmation** — on the roster, not answered yet (never signed in, or signed in and
  not answered): nothing of their health activity is shown, only "awaiting confirmation";
* **declined** — "this is not me": out of the total at the next refresh, flagged for the admin
  with the roster line to correct.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khaibao.audit.lists import audit_list_shown
from khaibao.core.days import day_start
from khaibao.core.errors import ServiceError
from khaibao.orgs.access import is_org_admin, subtree_q
from khaibao.orgs.models import Campaign, CampaignReminder, Member, OrgUnit

MEMBER_STATUSES = ("not_declared", "not_updated_today", "awaiting_confirmation", "declined", "reminded_today")
MEMBERS_PAGE_MAX = 200


# --- The rule ---------------------------------------------------------------------------------


def local_today() -> date:
    return timezone.localdate()


@dataclass(frozen=True)
class MemberFacts:
    declared_since_start: bool
    updated_today: bool
    last_update_date: date | None


def member_facts(
    *, starts_on: date, day: date, last_declaration_at: datetime | None, last_update_day: date | None
) -> MemberFacts:
    """The pure rule: a declaration at or after the campaign's first local day; an update for
    `day` (PersonStatus.last_update_day, as monitoring.selectors.status_updated_on reads it)."""
    return MemberFacts(
        declared_since_start=bool(last_declaration_at and last_declaration_at >= day_start(starts_on)),
        updated_today=last_update_day == day,
        last_update_date=last_update_day,
    )


def roster_members_q(prefix: str = "") -> Q:
    """Roster lines in the total: not removed and not declined (confirmed + awaiting)."""
    return Q(**{f"{prefix}removed_at__isnull": True, f"{prefix}declined_at__isnull": True})


def confirmed_members_q(prefix: str = "") -> Q:
    """Members who confirmed: the denominator of every percentage."""
    return roster_members_q(prefix) & Q(**{f"{prefix}confirmed_at__isnull": False})


def counted_members_q(prefix: str = "") -> Q:
    """Members whose facts are counted: on the roster, linked to a person, confirmed, not declined."""
    return Q(**{
        f"{prefix}removed_at__isnull": True,
        f"{prefix}person__isnull": False,
        f"{prefix}confirmed_at__isnull": False,
        f"{prefix}declined_at__isnull": True,
    })


def declared_q(starts_on: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}person__status__last_declaration_at__gte": day_start(starts_on)}) & counted_members_q(prefix)


def updated_q(day: date, prefix: str = "") -> Q:
    """Members whose update for `day` is done (`member_facts`' rule, in SQL)."""
    return Q(**{f"{prefix}person__status__last_update_day": day}) & counted_members_q(prefix)


# --- Access -----------------------------------------------------------------------------------


def require_org_admin(user: Any) -> None:
    """ServiceError 403 for anyone but an organisation admin (pages turn it into PermissionDenied)."""
    if not is_org_admin(user):
        raise ServiceError(_("Only organisation admins see compliance."), code="forbidden", status=403)


def campaigns_for_unit(unit: OrgUnit) -> list[Campaign]:
    """Campaigns that cover `unit` (started at the unit or above it), newest first."""
    parts = unit.path.split("/")
    ancestors = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return list(
        Campaign.objects.filter(unit__path__in=ancestors, archived_at__isnull=True)
        .select_related("unit")
        .order_by("-starts_on", "-pk")
    )


def pick_campaign(campaigns: list[Campaign], campaign_id: int | None) -> Campaign | None:
    """The asked campaign among those covering the unit (None if absent); default the newest."""
    if campaign_id is not None:
        return next((c for c in campaigns if c.pk == campaign_id), None)
    return campaigns[0] if campaigns else None


# --- Members: the three facts -----------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    member_id: int
    full_name: str
    unit_code: str
    unit_name: str
    confirmed: bool
    # None unless confirmed: an unconfirmed member's activity is not the organisation's to see.
    facts: MemberFacts | None
    membership: str = "confirmed"  # confirmed / awaiting / declined
    last_reminded_on: date | None = None  # the last day a reminder went to this roster line


@dataclass(frozen=True)
class MembersPage:
    items: list[MemberRow]
    next_after: int | None


def membership_of(*, confirmed_at: Any, declined_at: Any) -> str:
    if declined_at is not None:
        return "declined"
    return "confirmed" if confirmed_at is not None else "awaiting"


# `membership_of`'s answers in words (the members page's and "My organisations"' words).
MEMBERSHIP_LABELS = {
    "awaiting": gettext_lazy("Awaiting confirmation"),
    "confirmed": gettext_lazy("Confirmed"),
    "declined": gettext_lazy("Declined"),
}


def membership_label(state: str) -> str:
    """A `membership_of` state in words, in the active language."""
    return str(MEMBERSHIP_LABELS[state])


def member_status_q(status: str, campaign: Campaign, day: date) -> Q:
    """Roster lines in `status` for `campaign` on `day`, the one definition of the members page's
    filters, the chasing list (issue 21) and the compliance reminders.

    "not_done" — still something to do — is awaiting confirmation, or confirmed and missing one
    of the campaign's targets (not declared since its start, not updated on `day`). Awaiting
    confirmation never complies: the organisation does not know whether they declared.
    Raises ValueError for a status it does not know (callers validate theirs first).
    """
    awaiting = roster_members_q() & Q(confirmed_at__isnull=True)
    not_declared = confirmed_members_q() & ~declared_q(campaign.starts_on)
    not_updated = confirmed_members_q() & ~updated_q(day)
    if status == "not_done":
        q = awaiting
        if campaign.target_declared:
            q |= not_declared
        if campaign.target_updated_daily:
            q |= not_updated
        return q
    if status == "not_declared":
        return not_declared
    if status == "not_updated_today":
        return not_updated
    if status == "awaiting_confirmation":
        return awaiting
    if status == "declined":
        return Q(declined_at__isnull=False)
    if status == "reminded_today":
        return Q(pk__in=CampaignReminder.objects.filter(day=day).values("member_id"))
    raise ValueError(f"unknown member status {status!r}")


def _members_qs(unit: OrgUnit, campaign: Campaign, day: date, status: str | None) -> QuerySet[Member]:
    qs = Member.objects.filter(subtree_q(unit.path, field="unit__path"), removed_at__isnull=True)
    if status is not None:
        qs = qs.filter(member_status_q(status, campaign, day))
    return qs


def members_page(
    unit: OrgUnit,
    campaign: Campaign,
    *,
    day: date | None = None,
    status: str | None = None,
    after: int = 0,
    limit: int = 50,
    viewer: Any = None,
    ip: str = "",
) -> MembersPage:
    """Roster lines of the subtree with their membership and, once confirmed, the three facts.

    By id after `after` (keyset), one query. `status` keeps confirmed members who have not
    declared since the start or not updated on `day`, lines awaiting confirmation, or lines
    the citizen declined. Only the two timestamps are read from the latest-status row, and
    only for confirmed members.
    The page shown to `viewer` is audited (`list.members`: the linked people's ids and the roster
    lines' — audit/lists.py), one event per page.
    """
    day = day or timezone.localdate()
    limit = max(1, min(limit, MEMBERS_PAGE_MAX))
    rows = list(
        _members_qs(unit, campaign, day, status)
        .filter(pk__gt=after)
        .order_by("pk")
        .annotate(last_reminded_on=Subquery(
            CampaignReminder.objects.filter(member=OuterRef("pk")).order_by("-day").values("day")[:1]
        ))
        .values(
            "pk", "full_name", "confirmed_at", "declined_at", "person_id", "unit__code", "unit__name",
            "person__status__last_declaration_at", "person__status__last_update_day", "last_reminded_on",
        )[: limit + 1]
    )
    items = []
    for r in rows[:limit]:
        state = membership_of(confirmed_at=r["confirmed_at"], declined_at=r["declined_at"])
        counted = state == "confirmed" and r["person_id"] is not None
        facts = None
        if state == "confirmed":
            facts = member_facts(
                starts_on=campaign.starts_on,
                day=day,
                last_declaration_at=r["person__status__last_declaration_at"] if counted else None,
                last_update_day=r["person__status__last_update_day"] if counted else None,
            )
        items.append(MemberRow(
            member_id=r["pk"], full_name=r["full_name"], unit_code=r["unit__code"], unit_name=r["unit__name"],
            confirmed=state == "confirmed", facts=facts, membership=state, last_reminded_on=r["last_reminded_on"],
        ))
    if viewer is not None:
        audit_list_shown(
            actor=viewer, action="list.members", person_ids=[r["person_id"] for r in rows[:limit]], ip=ip,
            filters={"unit": unit.pk, "campaign": campaign.pk, "day": day, "status": status, "after": after or None},
            extra={"members": [r["pk"] for r in rows[:limit]]},
        )
    return MembersPage(items=items, next_after=items[-1].member_id if len(rows) > limit else None)
