"""Organisation admins' API on campaigns (issues 7, 17, 21): a unit's campaigns, and what is
measured and done against one — compliance numbers, the members' three facts, "remind now" and
the chasing list. The units and rosters themselves are in api/orgs.py, under the same /orgs.

Who may call: accounts with role org_admin only (403 for anyone else); a unit outside the
admin's subtree answers 404 like a missing one. Nothing here returns health data.

Each operation keeps the operation id it had when it lived in api/orgs.py: clients generated
from the schema name their calls after it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from khaibao.api.auth import AuthedRequest
from khaibao.api.exports import ExportOut, export_out
from khaibao.api.idempotency import idempotency_key
from khaibao.api.orgs import org_admin
from khaibao.api.schemas import ApiDate, ErrorOut, StrictSchema
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.core.params import ID_MAX, id_in_range
from khaibao.exports.responses import export_outcome_response
from khaibao.orgs import access, campaigns, chase, compliance, compliance_numbers, reminders, selectors
from khaibao.orgs.models import Campaign, ReminderPolicy
from khaibao.orgs.reminder_texts import policy_label

router = Router(tags=["organisations"])


class CampaignIn(StrictSchema):
    name: str
    starts_on: ApiDate
    deadline: ApiDate
    target_declared: bool = True
    target_updated_daily: bool = True
    reminder_policy: ReminderPolicy = ReminderPolicy.IN_APP


class CampaignOut(Schema):
    id: int
    unit_id: int
    name: str
    starts_on: date
    deadline: date
    target_declared: bool
    target_updated_daily: bool
    reminder_policy: str
    reminder_policy_label: str = Field(..., description="the reminder policy in words, as the compliance page shows it")
    archived_at: datetime | None


def _campaign_out(campaign: Campaign) -> CampaignOut:
    return CampaignOut(
        id=campaign.pk, unit_id=campaign.unit_id, name=campaign.name, starts_on=campaign.starts_on,
        deadline=campaign.deadline, target_declared=campaign.target_declared,
        target_updated_daily=campaign.target_updated_daily, reminder_policy=campaign.reminder_policy,
        reminder_policy_label=policy_label(campaign), archived_at=campaign.archived_at,
    )


@router.get(
    "/{unit_id}/campaigns", response={200: list[CampaignOut], 403: ErrorOut, 404: ErrorOut},
    operation_id="khaibao_api_orgs_campaigns_list",
)
def campaigns_list(request: AuthedRequest, unit_id: int, archived: bool = False) -> Any:
    """The unit's campaigns, newest start first (`archived=true` includes archived ones)."""
    unit = access.access_unit_for_user(org_admin(request), unit_id)
    return [_campaign_out(c) for c in selectors.unit_campaigns(unit, include_archived=archived)]


@router.post(
    "/{unit_id}/campaigns", response={201: CampaignOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    operation_id="khaibao_api_orgs_campaign_create",
)
def campaign_create(request: AuthedRequest, unit_id: int, data: CampaignIn) -> Any:
    """A campaign over the unit's subtree: targets "declared since the start" and/or "updated daily"."""
    user = org_admin(request)
    unit = access.access_unit_for_user(user, unit_id)
    campaign = campaigns.campaign_create(
        actor=user, unit=unit, name=data.name, starts_on=data.starts_on, deadline=data.deadline,
        target_declared=data.target_declared, target_updated_daily=data.target_updated_daily,
        reminder_policy=data.reminder_policy, ip=client_ip(request),
    )
    return Status(201, _campaign_out(campaign))


# --- Compliance (issue 7): numbers from the rollups; three facts per member, nothing else -----


class ComplianceQuery(Schema):
    day: date | None = Field(None, alias="date", description="YYYY-MM-DD (default: today)")
    campaign: int | None = Field(None, description="campaign id (default: the newest covering the unit)")


class UnitComplianceOut(Schema):
    """One definition of "member" (docs/organisations.md#who-counts): `members` is every roster
    line not removed and not declined = `confirmed` + `awaiting_confirmation`; `declared` and
    `updated_today` count confirmed members only and the percentages divide by `confirmed`."""

    id: int = Field(..., alias="unit_id")
    code: str
    name: str
    path: str
    members: int = Field(..., description="roster lines not removed and not declined: confirmed + awaiting confirmation")
    confirmed: int = Field(..., description="members who confirmed the membership: the denominator of the percentages")
    awaiting_confirmation: int = Field(..., description="members who have not answered yet: nothing of their activity is counted")
    declined: int = Field(..., description="roster lines the citizen declined ('not me'): out of members; correct the line")
    declared: int = Field(..., description="confirmed members who declared since the campaign's start")
    declared_pct: float = Field(..., description="declared / confirmed × 100, one decimal")
    updated_today: int = Field(..., description="confirmed members who sent the day's update")
    updated_pct: float = Field(..., description="updated_today / confirmed × 100, one decimal")
    assisted_people: int
    reminded: int = Field(..., description="members reminded that day (automatically or by 'remind now')")


class CampaignRefOut(Schema):
    id: int
    name: str
    starts_on: date
    deadline: date


class ComplianceOut(Schema):
    day: date = Field(..., alias="date")
    campaign: CampaignRefOut | None
    refreshed_at: datetime | None
    from_snapshot: bool
    unit: UnitComplianceOut | None
    children: list[UnitComplianceOut]
    direct: UnitComplianceOut | None = Field(
        None, description="the unit's own roster and volunteers (unit minus its children), when it has any"
    )


class MembersQuery(Schema):
    status: Literal["not_declared", "not_updated_today", "awaiting_confirmation", "declined", "reminded_today"] | None = None
    campaign: int | None = None
    after: int = Field(0, ge=0, le=ID_MAX, description="keyset: the last member id of the previous page")
    limit: int = Field(50, ge=1, le=compliance.MEMBERS_PAGE_MAX)


class MemberFactsOut(Schema):
    id: int
    full_name: str
    unit_code: str
    unit_name: str
    membership: Literal["confirmed", "awaiting", "declined"]
    membership_label: str = Field(..., description="the membership in words, in the request's language")
    declared_since_start: bool | None = Field(..., description="null unless the membership is confirmed")
    updated_today: bool | None = Field(..., description="null unless the membership is confirmed")
    last_update_date: date | None
    last_reminded_on: date | None = Field(..., description="the last day this roster line was reminded")


class MembersOut(Schema):
    items: list[MemberFactsOut]
    next_after: int | None


def _unit_and_campaign(request: AuthedRequest, unit_id: int, campaign_id: int | None) -> tuple[Any, Any]:
    user = request.auth
    compliance.require_org_admin(user)
    if not id_in_range(unit_id):
        raise Http404
    unit = access.access_unit_for_user(user, unit_id)
    campaign = compliance.pick_campaign(compliance.campaigns_for_unit(unit), campaign_id)
    if campaign_id is not None and campaign is None:
        raise Http404
    return unit, campaign


@router.get(
    "/{unit_id}/compliance",
    response={200: ComplianceOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    by_alias=True,
    operation_id="khaibao_api_orgs_unit_compliance",
)
def unit_compliance(request: AuthedRequest, unit_id: int, query: Query[ComplianceQuery]) -> dict[str, Any]:
    """A unit's subtree totals and its children's (ranked) for a day, from the rollups/snapshots."""
    unit, campaign = _unit_and_campaign(request, unit_id, query.campaign)
    if campaign is None:
        return {"date": query.day or compliance.local_today(), "campaign": None, "refreshed_at": None, "from_snapshot": False, "unit": None, "children": []}
    report = compliance_numbers.unit_report(unit, campaign, query.day)

    def out(n: compliance_numbers.UnitNumbers) -> dict[str, Any]:
        return {
            **n.__dict__, "declared_pct": n.declared_pct, "updated_pct": n.updated_pct,
            "awaiting_confirmation": n.awaiting,
        }

    return {
        "date": report.day,
        "campaign": campaign,
        "refreshed_at": report.refreshed_at,
        "from_snapshot": report.from_snapshot,
        "unit": out(report.unit),
        "children": [out(c) for c in report.children],
        "direct": out(report.direct) if report.direct else None,
    }


@router.get(
    "/{unit_id}/members", response={200: MembersOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    operation_id="khaibao_api_orgs_unit_members",
)
def unit_members(request: AuthedRequest, unit_id: int, query: Query[MembersQuery]) -> dict[str, Any]:
    """Members of the unit's subtree with the three compliance facts only (keyset pages by id)."""
    unit, campaign = _unit_and_campaign(request, unit_id, query.campaign)
    if campaign is None:
        return {"items": [], "next_after": None}
    page = compliance.members_page(
        unit, campaign, status=query.status, after=query.after, limit=query.limit, viewer=request.auth,
        ip=client_ip(request),
    )
    return {
        "items": [
            {
                "id": m.member_id, "full_name": m.full_name, "unit_code": m.unit_code, "unit_name": m.unit_name,
                "membership": m.membership, "membership_label": compliance.membership_label(m.membership),
                "declared_since_start": m.facts.declared_since_start if m.facts else None,
                "updated_today": m.facts.updated_today if m.facts else None,
                "last_update_date": m.facts.last_update_date if m.facts else None,
                "last_reminded_on": m.last_reminded_on,
            }
            for m in page.items
        ],
        "next_after": page.next_after,
    }


# --- "Remind now" (issue 17) --------------------------------------------------------------


class RemindIn(StrictSchema):
    campaign: int | None = Field(None, description="campaign id (default: the newest covering the unit)")


class RemindOut(Schema):
    id: int
    unit_id: int
    campaign_id: int
    day: date
    requested_at: datetime
    finished_at: datetime | None
    sent: int
    refused: int = Field(
        ..., description="members not reminded because the organisations' SMS budget was spent (the roster "
        "phone their only way): still remindable later the same day"
    )


@router.post(
    "/{unit_id}/remind", response={202: RemindOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    operation_id="khaibao_api_orgs_unit_remind",
)
def unit_remind(request: AuthedRequest, unit_id: int, data: RemindIn) -> tuple[int, Any]:
    """Remind the unit's subtree now, once per unit per day (409 `already_reminded`); the
    worker sends the reminders (`sent`, `refused`, `finished_at` fill in then). Members already
    reminded today are skipped, and those reminded now are not reminded again this evening. A
    run whose worker died is resumed by asking again (202, the same run) or by the sweep."""
    unit, campaign = _unit_and_campaign(request, unit_id, data.campaign)
    if campaign is None:
        raise ServiceError(_("No campaign covers this unit."), code="no_campaign", status=409)
    return 202, reminders.unit_remind_now(actor=request.auth, unit=unit, campaign=campaign, ip=client_ip(request))


# --- The chasing list (issue 21) -----------------------------------------------------------


class ChaseIn(StrictSchema):
    status: Literal["not_done", "awaiting_confirmation", "not_declared", "not_updated_today"] = "not_done"
    format: Literal["csv", "xlsx"] = "csv"
    campaign: int | None = Field(None, description="campaign id (default: the newest covering the unit)")


@router.post(
    "/{unit_id}/chase",
    response={200: None, 202: ExportOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut},
    operation_id="khaibao_api_orgs_unit_chase",
)
def unit_chase(request: AuthedRequest, unit_id: int, data: ChaseIn) -> Any:
    """The members of the unit's subtree who still have something to do (unit path, roster name
    and phone, what is left), never a health detail. Up to EXPORT_STREAM_MAX_ROWS rows: 200 with
    the file; more: 202 with a job to poll at GET /exports/{id}. Audited, capped per day (429)."""
    unit, campaign = _unit_and_campaign(request, unit_id, data.campaign)
    if campaign is None:
        raise ServiceError(_("No campaign covers this unit."), code="no_campaign", status=409)
    outcome = chase.chase_export_request(
        actor=request.auth, unit=unit, campaign=campaign, status=data.status, fmt=data.format, ip=client_ip(request),
        # With a key, a retry streams this job's file again (api/idempotency.py), as POST /exports.
        keep=idempotency_key(request) is not None,
    )
    if outcome.streamed:
        return export_outcome_response(outcome)
    return Status(202, export_out(request, outcome.job))
