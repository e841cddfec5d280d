"""The chasing list (issue 21): members of a subtree who still have something to do, to call.

An export kind of its own (`org_members`) in the exports machinery, so it is audited
(`export.create`), counted in the daily cap (EXPORT_DAILY_CAP), streamed when small and
written by the worker with progress when large (EXPORT_STREAM_MAX_ROWS), and downloaded by its
owner only. Each row holds what the organisation already has — the unit, the name and phone from
its roster — plus what is left to do; never a health detail (only the membership answer and
the two compliance facts of confirmed members, as on the members page).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import phonenumbers
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khaibao.accounts.models import Account
from khaibao.core.errors import ServiceError
from khaibao.exports import services as export_services
from khaibao.exports import sources
from khaibao.exports.models import Kind
from khaibao.orgs.access import is_org_admin, subtree_q, units_visible
from khaibao.orgs.compliance import campaigns_for_unit, member_facts, member_status_q, pick_campaign
from khaibao.orgs.models import Campaign, Member, OrgUnit, UnitComplianceRollup

# Who the chasing list lists, with the words for each (the export form's choices and the stored reason).
CHASE_STATUSES: dict[str, Promise] = {
    "not_done": gettext_lazy("Everyone with something left to do"),
    "awaiting_confirmation": gettext_lazy("Awaiting confirmation"),
    "not_declared": gettext_lazy("Not declared since the start"),
    "not_updated_today": gettext_lazy("Not updated today"),
}


def chase_members(unit: OrgUnit, campaign: Campaign, status: str, day: date) -> QuerySet[Member]:
    return (
        Member.objects.filter(subtree_q(unit.path, field="unit__path"), removed_at__isnull=True)
        .filter(member_status_q(status, campaign, day))
        .select_related("unit")
        .order_by("unit__path", "full_name", "pk")
    )


def _phone(e164: str) -> str:
    # As people write it (0912345678), which is how a roster gives it in the vast majority.
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "VN"), phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "")
    except phonenumbers.NumberParseException:
        return e164


def _to_do(confirmed: bool, campaign: Campaign, declared: bool, updated: bool) -> str:
    if not confirmed:
        return _("Confirm the membership")
    missing = []
    if campaign.target_declared and not declared:
        missing.append(_("Declare"))
    if campaign.target_updated_daily and not updated:
        missing.append(_("Send today's update"))
    return ", ".join(missing)


def _rows(unit: OrgUnit, campaign: Campaign, status: str, day: date, people: list[int]) -> Iterator[list[Any]]:
    yes, no = _("Yes"), _("No")
    members = chase_members(unit, campaign, status, day).values(
        "pk", "full_name", "phone", "confirmed_at", "unit__path", "unit__name", "person_id",
        "person__status__last_declaration_at", "person__status__last_update_day",
    )
    for m in members.iterator(chunk_size=1000):
        if m["person_id"] is not None:
            people.append(m["person_id"])  # the export's list.export audit event names them
        confirmed = m["confirmed_at"] is not None
        facts = member_facts(
            starts_on=campaign.starts_on, day=day,
            last_declaration_at=m["person__status__last_declaration_at"] if confirmed else None,
            last_update_day=m["person__status__last_update_day"] if confirmed else None,
        )
        yield [
            m["unit__path"], m["unit__name"], m["full_name"], _phone(m["phone"]),
            _("Confirmed") if confirmed else _("Awaiting confirmation"),
            (yes if facts.declared_since_start else no) if confirmed else "",
            (yes if facts.updated_today else no) if confirmed else "",
            facts.last_update_date,
            _to_do(confirmed, campaign, facts.declared_since_start, facts.updated_today),
        ]


def _estimated_rows(unit: OrgUnit, campaign: Campaign, status: str, day: date) -> int:
    """Exactly how many rows when few enough to stream, else an estimate above the streaming
    limit for the job's progress (as exports.sources `_sized`).

    A full count of a national subtree took 12.5–28.9 s at the root of 1M members (past the web
    profile's statement timeout: 503) and 44 s again in the worker (review "scale"): the count
    stops at EXPORT_STREAM_MAX_ROWS + 1, which is all the stream-or-job decision needs. Above it
    the unit's compliance rollup (its members, refreshed every minute) sizes the progress bar.
    """
    limit = settings.EXPORT_STREAM_MAX_ROWS
    head = chase_members(unit, campaign, status, day).order_by()[: limit + 1].count()
    if head <= limit:
        return head
    members = (
        UnitComplianceRollup.objects.filter(campaign=campaign, unit=unit, day=day)
        .values_list("members", flat=True)
        .first()
    )
    return max(members or 0, limit + 1)


def _chase_filters(user: Account, filters: dict[str, Any]) -> tuple[OrgUnit, Campaign, str]:
    if not is_org_admin(user):
        raise ServiceError(_("Only organisation admins can export their members."), code="forbidden", status=403)
    unknown = sorted(set(filters) - {"unit", "campaign", "status"})
    if unknown:
        raise ServiceError(_("Some filters are not valid."), fields={f"filters.{n}": _("Unknown filter.") for n in unknown})
    unit_id, campaign_id = filters.get("unit"), filters.get("campaign")
    unit = units_visible(user).filter(pk=unit_id).first() if isinstance(unit_id, int) else None
    if unit is None:
        raise ServiceError.for_field("filters.unit", _("Choose a unit of your organisation."))
    campaign = pick_campaign(campaigns_for_unit(unit), campaign_id if isinstance(campaign_id, int) else None)
    if campaign is None:
        raise ServiceError.for_field("filters.campaign", _("No campaign covers this unit."))
    status = filters.get("status", "not_done")
    if status not in CHASE_STATUSES:
        raise ServiceError.for_field("filters.status", _("Choose who to list."))
    return unit, campaign, status


@sources.register(Kind.ORG_MEMBERS)
def chase_table(user: Account, filters: dict[str, Any]) -> sources.Table:
    """The exports' source of the chasing list, rebuilt with the owner's subtree as it is now."""
    unit, campaign, status = _chase_filters(user, filters)
    day = timezone.localdate()
    people: list[int] = []
    return sources.Table(
        title=unit.code[:31],
        header=[
            _("Unit path"), _("Unit"), _("Full name"), _("Phone"), _("Membership"),
            _("Declared since the start"), _("Updated today"), _("Last update"), _("To do"),
        ],
        rows=_rows(unit, campaign, status, day, people),
        estimated_rows=_estimated_rows(unit, campaign, status, day),
        people=people,
    )


def chase_export_request(
    *, actor: Account, unit: OrgUnit, campaign: Campaign, status: str, fmt: str, ip: str = "", keep: bool = False
) -> export_services.ExportOutcome:
    """Export the chasing list of `unit`'s subtree (from orgs.access) for `campaign`: streamed now
    when small, else a background job; audited and capped by the exports machinery (`keep`: as
    `export_request`'s)."""
    if status not in CHASE_STATUSES:
        raise ServiceError.for_field("filters.status", _("Choose who to list."))
    # The reason is stored and read later by whoever audits it, so in the country's language
    # (as every text sent to someone else), with the status's code beside its words.
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Chasing list: %(status)s, %(unit)s, campaign %(campaign)s") % {
            "status": f"{CHASE_STATUSES[status]} ({status})", "unit": unit.path, "campaign": campaign.name,
        }
    return export_services.export_request(
        actor=actor, kind=Kind.ORG_MEMBERS, fmt=fmt,
        filters={"unit": unit.pk, "campaign": campaign.pk, "status": status}, reason=reason, ip=ip, keep=keep,
    )
