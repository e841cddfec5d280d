"""Triage and follow-up for health officials: the queue, the case view, actions, assignment.

Who may call: officials (role "official") only; anyone else gets 403 in the error format.
A person outside the official's jurisdiction answers 404, the same as a missing one. Opening
a case, recording an action, assigning and revealing each write an audit event.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from khaibao.api.auth import AuthedRequest
from khaibao.api.declarations import PlainOut, ReasonOut, RecommendationOut
from khaibao.api.idempotency import idempotency_afresh, idempotency_checked
from khaibao.api.schemas import ApiDate, ApiDateTime, ErrorOut, StrictSchema
from khaibao.cases import services
from khaibao.cases.case_view import case_person, case_view, case_view_dict, lost_rule_text
from khaibao.cases.citizen_view import followup_for_citizen, result_label
from khaibao.cases.missed import lost_after_days
from khaibao.cases.officials import require_official
from khaibao.cases.triage import PAGE_DEFAULT, PAGE_MAX, triage_filters_parse, triage_queue, triage_row_dict
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.core.params import ID_MAX
from khaibao.people.limits import household_limit_raise
from khaibao.privacy.selectors import person_privacy_state

router = Router(tags=["triage and cases"])

ActionKindIn = Literal[
    "called_reached", "called_not_reached", "advised_home_isolation", "referred_for_testing", "test_result",
    "concentrated_quarantine", "hospitalised", "cleared", "lost_to_followup",
]


class OfficialOut(Schema):
    id: int
    name: str


class QueueFollowUpOut(Schema):
    case_id: int
    status: str
    status_label: str
    assigned_to: OfficialOut | None
    outcome: str
    outcome_label: str
    last_action_at: datetime | None


class TriageItemOut(Schema):
    person_id: int
    full_name: str
    birth_year: int
    age: int
    ward_code: int | None
    ward_name: str
    province_code: int | None
    level: str | None
    level_word: str
    colour: str = Field(..., description="green, yellow, orange, red; grey before any assessment")
    colour_label: str = Field("", description="the colour in words, in the request's language")
    reasons: list[str]
    reason_labels: list[str] = Field(..., description="why in the queue, in words, beside `reasons`")
    queue_rank: int
    queue_since: datetime | None
    waiting_minutes: int | None
    missed_days: int
    escalated_at: datetime | None
    lost_to_followup_at: datetime | None
    contact_level: str = Field(..., description='"F0" … "F5", or "" when none')
    contact_level_label: str = Field(..., description='the contact level in words, e.g. "Close contact (F1)"; "" when none')
    follow_up: QueueFollowUpOut | None


class TriagePageOut(Schema):
    items: list[TriageItemOut]
    next_cursor: str | None
    lost_to_followup_rule: str


class ActionBody(StrictSchema):
    """One follow-up action. `test_result` and `test_date` only with kind "test_result"."""

    kind: ActionKindIn
    notes: str = Field("", max_length=services.NOTES_MAX)
    test_result: Literal["positive", "negative"] | None = None
    test_date: ApiDate | None = None
    at: ApiDateTime | None = Field(None, description="ISO 8601; Asia/Ho_Chi_Minh when no offset; default now")


class AssignBody(StrictSchema):
    """`assignee_id`: an official of your jurisdiction; leave it out to take the case yourself."""

    assignee_id: int | None = Field(None, ge=1, le=ID_MAX)


class RevealBody(StrictSchema):
    reason: str = Field(..., min_length=services.REVEAL_REASON_MIN, max_length=services.REVEAL_REASON_MAX)


class ActionOut(Schema):
    id: int
    case_id: int
    kind: str
    kind_label: str = Field(..., description="the action in words")
    test_result: str | None
    test_result_label: str | None = Field(..., description="the test's result in words; null with `test_result`")
    test_date: date | None
    at: datetime
    case_status: str
    case_status_label: str = Field(..., description="the case's status in words (open, closed)")
    follow_up: dict[str, Any] | None


class CaseOut(Schema):
    case_id: int
    status: str
    status_label: str = Field(..., description="the case's status in words (open, closed)")
    assigned_to: OfficialOut | None
    opened_at: datetime


class CaseStatusOut(PlainOut):
    level: str | None
    level_word: str
    colour: str = Field(..., description="green, yellow, orange, red; grey before any assessment")
    colour_label: str = Field("", description="the colour in words, in the request's language")
    reasons: list[ReasonOut]
    recommendations: list[RecommendationOut]
    ruleset_version: str
    assessed_at: datetime | None
    confirmed_at: datetime | None
    monitoring_from: date | None
    monitoring_until: date | None
    missed_days: int
    escalated_at: datetime | None
    lost_to_followup_at: datetime | None
    contact_level: str = Field(..., description='"F0" … "F5", or "" when none')
    contact_level_label: str = Field(..., description='the contact level in words; "" when none')
    is_f0: bool
    in_queue: bool
    queue_reasons: list[str]
    queue_reason_labels: list[str] = Field(..., description="why in the queue, in words, beside `queue_reasons`")
    queue_since: datetime | None


class CaseUpdateOut(PlainOut):
    day: date
    symptoms: list[str] | None
    symptom_labels: list[dict[str, str]] = Field(..., description="each symptom code with its name")
    temperature: float | None
    feeling: str | None
    feeling_label: str | None = Field(..., description="the feeling in words; null with `feeling`")
    updated_as: str = Field(..., description="self, household_owner or volunteer: who sent the update")
    updated_as_label: str = Field(..., description="who sent the update, in words, in the request's language")


class CaseAssessmentOut(PlainOut):
    source: str = Field(
        ..., description="declaration, risk_declaration, daily_update, contact_tracing, reassessment or official"
    )
    source_label: str = Field(..., description="what changed the assessment, in words, in the request's language")
    level: str
    level_word: str
    engine_level: str
    engine_level_word: str
    level_kept: bool
    reasons: list[ReasonOut]
    ruleset_version: str
    created_at: datetime


class CaseViewOut(PlainOut):
    """One person's case. The histories' items beside the codes carry their words."""

    person: dict[str, Any]
    status: CaseStatusOut | None
    lost_to_followup_rule: str
    declarations: list[dict[str, Any]]
    updates: list[CaseUpdateOut]
    assessments: list[CaseAssessmentOut]
    follow_up: list[dict[str, Any]]
    household: list[dict[str, Any]]
    next_cursors: dict[str, str | None]
    privacy_state: str | None


class RevealContactOut(Schema):
    role: str = Field(..., description='"household_owner" | "volunteer"')
    label: str = Field(..., description="the role in words, from the revealed person's side")
    name: str
    phone: str


class RevealOut(Schema):
    id_number: str | None
    phone: str | None
    contacts: list[RevealContactOut] = Field(
        ..., description="who declares for a person without a phone of their own; empty otherwise"
    )


@router.get("/triage", response={200: TriagePageOut, 400: ErrorOut, 403: ErrorOut})
def triage(
    request: AuthedRequest,
    ward: Query[str | None] = None,
    level: Query[str | None] = None,
    reason: Query[str | None] = None,
    followup: Query[str | None] = None,
    assigned: Query[str | None] = None,
    since_from: Query[str | None] = None,
    since_to: Query[str | None] = None,
    min_missed: Query[str | None] = None,
    cursor: Query[str | None] = None,
    limit: Query[int] = PAGE_DEFAULT,
) -> dict[str, Any]:
    """The triage queue of your jurisdiction, highest priority first.

    Filters: `ward` (code), `level` (low|medium|high|urgent), `reason` (level,
    risk_declaration, escalation, missed_updates, lost_to_followup, contact), `followup`
    (none|open|unassigned|assigned), `assigned` (an official's id, or "me"),
    `since_from`/`since_to` (date the person entered the queue), `min_missed` (days).
    Pass `next_cursor` as `cursor` for the next page.
    """
    user = require_official(request.auth)
    if not 1 <= limit <= PAGE_MAX:
        raise ServiceError(
            _("Some filters need correcting."),
            fields={"limit": _("Give a page size from 1 to %(max)s.") % {"max": PAGE_MAX}},
        )
    filters = triage_filters_parse(
        {
            "ward": ward, "level": level, "reason": reason, "followup": followup, "assigned": assigned,
            "since_from": since_from, "since_to": since_to, "min_missed": min_missed,
        },
        user=user,
    )
    page = triage_queue(user, filters=filters, cursor=cursor, limit=limit, ip=client_ip(request))
    return {
        "items": [triage_row_dict(row) for row in page.items],
        "next_cursor": page.next_cursor,
        "lost_to_followup_rule": lost_rule_text(lost_after_days()),
    }


@router.get("/cases/{person_id}", response={200: CaseViewOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def case_get(
    request: AuthedRequest,
    person_id: int,
    declarations_cursor: Query[str | None] = None,
    updates_cursor: Query[str | None] = None,
    assessments_cursor: Query[str | None] = None,
) -> dict[str, Any]:
    """One person's case: identity (masked), declarations, daily updates, assessments with
    reasons and rule versions, follow-up history, household. Audited ("person.case_view").

    The declarations, daily updates and assessments are pages of 200, newest first:
    `next_cursors` gives each history's cursor for its next (older) page (null on its last), to
    send back as `declarations_cursor`, `updates_cursor` or `assessments_cursor` — each history
    pages on its own. A cursor not made here answers 400 naming it. `privacy_state` says, in words,
    why nothing may be done for the person any more ("Consent withdrawn"; null otherwise): their
    case actions, assignment and contact flags answer 409 `processing_stopped`."""
    person = case_person(request.auth, person_id, purpose="case_view", ip=client_ip(request))
    sent = {"declarations": declarations_cursor, "updates": updates_cursor, "assessments": assessments_cursor}
    view = case_view(person, cursors=sent)
    refused = {f"{name}_cursor": message for name, message in view.page_errors.items() if message}
    if refused:
        raise ServiceError(next(iter(refused.values())), fields=refused)
    return case_view_dict(view) | {
        "next_cursors": view.next_cursors, "privacy_state": person_privacy_state(person.pk) or None,
    }


@router.post(
    "/cases/{person_id}/actions", response={201: ActionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
def case_action(request: AuthedRequest, person_id: int, data: ActionBody) -> Status | HttpResponse:
    """Record a follow-up action (opens a case if none is open). A positive test marks the
    person F0 (level urgent); "cleared" ends monitoring and closes the case."""
    ip = client_ip(request)
    # The look-up is the access trail's event, written even when the body is then refused (400):
    # the record was opened (docs/api.md, "Errors"); the action itself is not written.
    person = case_person(request.auth, person_id, purpose="case_action", ip=ip)
    # The answer holds the person's follow-up and test result: a replay of its Idempotency-Key is
    # handed back only past the access check above (404 once the person is no longer theirs).
    replay = idempotency_checked(request)
    if replay is not None:
        return replay
    action = services.case_action_record(
        actor=request.auth,
        person=person,
        data=services.ActionIn(
            kind=data.kind, notes=data.notes, test_result=data.test_result or "", test_date=data.test_date, at=data.at
        ),
        ip=ip,
    )
    return Status(201, {
        "id": action.pk,
        "case_id": action.case_id,
        "kind": action.kind,
        "kind_label": str(action.get_kind_display()),  # type: ignore[attr-defined]
        "test_result": action.test_result or None,
        "test_result_label": result_label(action.test_result),
        "test_date": action.test_date,
        "at": action.at,
        "case_status": action.case.status,
        "case_status_label": str(action.case.get_status_display()),  # type: ignore[attr-defined]
        "follow_up": followup_for_citizen(person),
    })


@router.post("/cases/{person_id}/assign", response={200: CaseOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def case_assign(request: AuthedRequest, person_id: int, data: AssignBody) -> dict[str, Any]:
    """Assign the person's open case (opening one if needed) to yourself or a colleague."""
    ip = client_ip(request)
    person = case_person(request.auth, person_id, purpose="case_assign", ip=ip)
    case = services.case_assign(actor=request.auth, person=person, assignee_id=data.assignee_id, ip=ip)
    assignee = case.assigned_to
    return {
        "case_id": case.pk,
        "status": case.status,
        "status_label": str(case.get_status_display()),  # type: ignore[attr-defined]
        "assigned_to": {"id": assignee.pk, "name": assignee.display_name or assignee.username or ""} if assignee else None,
        "opened_at": case.opened_at,
    }


@router.post("/cases/{person_id}/reveal", response={200: RevealOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def case_reveal(request: AuthedRequest, person_id: int, data: RevealBody) -> dict[str, Any]:
    """The full ID number and phone, with a stated reason — audited as "person.reveal"."""
    # Never handed back from an Idempotency-Key's store: each reveal asks the access layer and is audited.
    idempotency_afresh(request)
    ip = client_ip(request)
    person = case_person(request.auth, person_id, purpose="case_reveal", ip=ip)
    revealed = services.person_reveal(actor=request.auth, person=person, reason=data.reason, ip=ip)
    return {
        "id_number": revealed["id_number"] or None, "phone": revealed["phone"] or None,
        "contacts": [{k: c[k] for k in ("role", "label", "name", "phone")} for c in revealed["contacts"]],
    }


class HouseholdLimitBody(StrictSchema):
    max_people: int = Field(..., description="the household's new limit", json_schema_extra={"minimum": 21, "maximum": 200})
    reason: str = Field(..., description="why the household needs more places (≥ 10 characters; kept in the audit trail)")


class HouseholdLimitOut(Schema):
    max_people: int
    households: int


@router.post(
    "/cases/{person_id}/household-limit",
    response={200: HouseholdLimitOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def household_limit(request: AuthedRequest, person_id: int, data: HouseholdLimitBody) -> dict[str, Any]:
    """Let the household of a person in your jurisdiction hold more than HOUSEHOLD_MAX_PEOPLE people
    (a large family, a care home), with a reason — audited as "household.limit_raise"."""
    ip = client_ip(request)
    person = case_person(request.auth, person_id, purpose="household_limit", ip=ip)
    changed = household_limit_raise(
        actor=request.auth, person=person, max_people=data.max_people, reason=data.reason, ip=ip
    )
    return {"max_people": data.max_people, "households": changed}
