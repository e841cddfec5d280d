"""Declarations, daily updates and status of one person: /api/v1/people/{id}/...

Writes (declarations, updates) are for the person's declarers only — household owner or active
volunteer (`access_declaring`); reads also serve officials in their jurisdiction,
audited (`access_person_for_user`). Any other person id answers 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from khaibao.accounts.models import Account
from khaibao.api import rules
from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ApiDate, ErrorOut, StrictSchema, json_answer
from khaibao.cases.citizen_view import followup_for_citizen
from khaibao.core.http import client_ip
from khaibao.declarations.answer_labels import PlaceNames, answers_labels, place_names
from khaibao.declarations.answers import DeclarationIn, ExposureIn, RiskDeclarationIn, SymptomIn, TravelIn
from khaibao.declarations.models import Declaration
from khaibao.declarations.selectors import declaration_dict, declarations_history
from khaibao.monitoring import declaring as declaration_services
from khaibao.monitoring.explain import assessment_out, explain_reasons, explain_recommendations, level_display
from khaibao.monitoring.selectors import (
    declarations_assessed,
    monitoring_progress,
    person_status_read,
    person_status_read_checked,
)
from khaibao.passes.services import pass_issue, pass_issue_with_code
from khaibao.people.access import access_declaring, access_person_for_user

router = Router(tags=["declarations"])


# --- request bodies -------------------------------------------------------------------------

class TravelBody(StrictSchema):
    """One place visited: exactly one of ward_code, province_code or country (ISO alpha-2)."""

    ward_code: int | None = None
    province_code: int | None = None
    country: str | None = Field(None, max_length=2)
    from_: ApiDate = rules.stated(rules.TRAVEL_FROM, ..., alias="from")
    to: ApiDate = rules.stated(rules.TRAVEL_TO, ...)

    def to_input(self) -> TravelIn:
        return TravelIn(
            ward_code=self.ward_code, province_code=self.province_code, country=self.country,
            start=self.from_, end=self.to,
        )


class SymptomBody(StrictSchema):
    code: str = Field(..., max_length=40)
    onset: ApiDate = rules.stated(rules.ONSET, ...)


class ExposureBody(StrictSchema):
    code: str = Field(..., max_length=40)
    date: ApiDate = rules.stated(rules.EXPOSURE_DATE, ...)


class DeclarationBody(StrictSchema):
    travel: list[TravelBody] = rules.stated(rules.TRAVEL_LIST, [])
    symptoms: list[SymptomBody] = rules.stated(rules.SYMPTOM_LIST, [])
    exposures: list[ExposureBody] = rules.stated(rules.EXPOSURE_LIST, [])
    conditions: list[str] = rules.stated(rules.CONDITION_LIST, [])
    pregnant: bool = False
    commitment: bool
    consent: bool


class RiskDeclarationBody(StrictSchema):
    """The three questions: contact with a case (whom/when), came from an epidemic area
    (where/when), suspect infection (which symptoms/since when)."""

    contact_with_case: bool
    contacts: list[ExposureBody] = rules.stated(rules.EXPOSURE_LIST, [])
    came_from_epidemic_area: bool
    travel: list[TravelBody] = rules.stated(rules.TRAVEL_LIST, [])
    suspect_infection: bool
    symptoms: list[SymptomBody] = rules.stated(rules.SYMPTOM_LIST, [])
    commitment: bool
    consent: bool


# --- responses ------------------------------------------------------------------------------

class PlainOut(BaseModel):
    """A response part the endpoints build as a dict of plain values.

    Not a ninja Schema: that wraps every object it validates, nested ones included, in a
    DjangoGetter (to read model attributes, call callables, list managers) — about 0.15 ms of
    CPU per status read (bench/hotpath.py), for dicts pydantic validates by itself in a few µs.
    Same fields, same validation, same JSON and OpenAPI schema.
    """

    model_config = ConfigDict(from_attributes=True)


class ReasonOut(PlainOut):
    rule: str
    message: str


class RecommendationOut(PlainOut):
    code: str
    message: str


class AssessmentOut(Schema):
    level: str
    reasons: list[ReasonOut]
    recommendations: list[RecommendationOut]
    monitoring_days: int
    monitoring_until: date | None
    level_kept: bool
    ruleset_version: str
    # Last: answers built by monitoring.explain.assessment_out are rendered in this order.
    level_word: str = Field(..., description="the level in words, in the request's language")


class DeclarationOut(Schema):
    id: int
    version: int
    kind: str = Field(..., description="universal or risk")
    kind_label: str = Field(..., description="the kind in words, in the request's language")
    declared_as: str = Field(..., description="self, household_owner or volunteer: who filled it in")
    declared_as_label: str = Field(..., description="who filled it in, in words, in the request's language")
    declared_by_volunteer: str | None = Field(
        ..., description="the volunteer's name when declared_as is volunteer (\"declared by volunteer X for Y\"), else null"
    )
    questionnaire_version: str
    consent_version: str
    created_at: datetime
    answers: dict[str, Any]
    answer_labels: dict[str, Any] = Field(
        ..., description="the coded answers with their words: symptoms, exposures, conditions "
        '([{"code", "label", …}]) and travel (ward, province and country names with the dates, and a "text" line)'
    )
    assessment: AssessmentOut | None


class DeclarationPage(Schema):
    items: list[DeclarationOut]
    next_before: int | None


class MonitoringOut(PlainOut):
    open: bool
    until: date | None
    day: int | None
    length: int
    missed_days: int
    updated_today: bool


class PassOut(PlainOut):
    token: str
    colour: str
    colour_label: str = Field(..., description="the colour in words, in the request's language")
    expires_at: datetime
    code: str | None = Field(None, description="short code to type at a checkpoint (holders only)")


class FollowUpOut(PlainOut):
    """The latest follow-up by a health official and the advice that goes with it."""

    status: str
    status_label: str = Field(..., description="the case's status in words (open, closed)")
    outcome: str
    outcome_label: str
    test_result: str | None
    test_result_label: str | None = Field(..., description="the test's result in words; null with `test_result`")
    test_date: date | None
    at: datetime
    advice: str


class StatusOut(PlainOut):
    level: str | None
    level_word: str = Field(..., description='the level in words; "not declared yet" when `level` is null')
    reasons: list[ReasonOut]
    recommendations: list[RecommendationOut]
    monitoring: MonitoringOut
    needs_attention: bool
    last_declaration_at: datetime | None
    last_update_at: datetime | None
    pass_: PassOut = Field(..., alias="pass")
    follow_up: FollowUpOut | None = None


def _symptoms(items: list[SymptomBody]) -> tuple[SymptomIn, ...]:
    return tuple(SymptomIn(code=s.code, onset=s.onset) for s in items)


def _exposures(items: list[ExposureBody]) -> tuple[ExposureIn, ...]:
    return tuple(ExposureIn(code=e.code, on=e.date) for e in items)


def _declaration_out(declaration: Declaration, names: PlaceNames | None = None, assessment: Any = None) -> dict[str, Any]:
    # A declaration that left the assessment unchanged has no row of its own (decision C): the
    # list shows the one it confirmed (monitoring.selectors.declarations_assessed).
    assessment = assessment or getattr(declaration, "assessment", None)
    return declaration_dict(declaration) | {
        "answer_labels": answers_labels(declaration.answers, names),
        "assessment": assessment_out(assessment) if assessment is not None else None,
    }


# --- endpoints ------------------------------------------------------------------------------

@router.post(
    "/{person_id}/declarations", response={201: DeclarationOut, 400: ErrorOut, 404: ErrorOut},
    by_alias=True,
)
def declaration_create(request: AuthedRequest, person_id: int, data: DeclarationBody) -> Status[dict[str, Any]]:
    """Universal health declaration (khai báo y tế toàn dân): a new version, assessed at once."""
    declaring = access_declaring(request.auth, person_id)
    declaration = declaration_services.declaration_submit(
        actor=request.auth,
        person=declaring.person,
        declared_as=declaring.declared_as,
        data=DeclarationIn(
            travel=tuple(t.to_input() for t in data.travel),
            symptoms=_symptoms(data.symptoms),
            exposures=_exposures(data.exposures),
            conditions=tuple(data.conditions),
            pregnant=data.pregnant,
            commitment=data.commitment,
            consent=data.consent,
        ),
        ip=client_ip(request),
    )
    return Status(201, _declaration_out(declaration))


@router.post(
    "/{person_id}/risk-declarations", response={201: DeclarationOut, 400: ErrorOut, 404: ErrorOut},
    by_alias=True,
)
def risk_declaration_create(
    request: AuthedRequest, person_id: int, data: RiskDeclarationBody
) -> Status[dict[str, Any]]:
    """Risk-factor declaration (khai báo yếu tố nguy cơ): always flags the person for officials."""
    declaring = access_declaring(request.auth, person_id)
    declaration = declaration_services.risk_declaration_submit(
        actor=request.auth,
        person=declaring.person,
        declared_as=declaring.declared_as,
        data=RiskDeclarationIn(
            contact_with_case=data.contact_with_case,
            contacts=_exposures(data.contacts),
            came_from_epidemic_area=data.came_from_epidemic_area,
            travel=tuple(t.to_input() for t in data.travel),
            suspect_infection=data.suspect_infection,
            symptoms=_symptoms(data.symptoms),
            commitment=data.commitment,
            consent=data.consent,
        ),
        ip=client_ip(request),
    )
    return Status(201, _declaration_out(declaration))


@router.get("/{person_id}/declarations", response={200: DeclarationPage, 404: ErrorOut}, by_alias=True)
def declaration_list(
    request: AuthedRequest, person_id: int, before: Query[int | None] = None, limit: Query[int] = 50
) -> dict[str, Any]:
    """The person's declarations, newest first; pass `next_before` as `before` for older ones."""
    person = access_person_for_user(request.auth, person_id, purpose="declarations", ip=client_ip(request))
    items = declarations_history(person, before=before, limit=limit)
    more = len(items) == max(1, min(limit, 100)) and items[-1].version > 1
    names = place_names(d.answers for d in items)  # the trips' places of the whole page at once
    assessed = declarations_assessed(person, items)
    return {
        "items": [_declaration_out(d, names, a) for d, a in zip(items, assessed, strict=True)],
        "next_before": items[-1].version if more else None,
    }


@router.get("/{person_id}/status", response={200: StatusOut, 404: ErrorOut}, by_alias=True)
def status_get(request: AuthedRequest, person_id: int) -> HttpResponse:
    """Current level, reasons, advice, monitoring progress and a freshly signed health pass."""
    return status_answer(request, request.auth, person_id)


def status_answer(request: HttpRequest, account: Account, person_id: int) -> HttpResponse:
    """The status read's answer for `account` (the bearer token's): the view above and the status
    hot lane before ninja (api/hot_lane.py) both answer with this, so they answer alike."""
    now = timezone.now()
    # Only the holder's side gets a short code (it is stored); officials just see the pass.
    holder = account.is_citizen
    # A household owner's read (most of them): the access check, the person, the status row, the
    # period's updated days, the pass code (made there when missing) and the follow-up in one
    # statement; anyone else (or no status row yet): the access check, then the read.
    checked = person_status_read_checked(account, person_id, now=now, holder=holder)
    if checked is not None:
        person, read = checked
    else:
        person = access_person_for_user(account, person_id, purpose="status", ip=client_ip(request))
        read = person_status_read(person, now=now)
    status = read.status
    progress = monitoring_progress(status, timezone.localdate(now), days_updated=read.days_updated)
    issued = (
        pass_issue_with_code(person=person, now=now, read=read.sources) if holder else pass_issue(person=person, now=now)
    )
    level = status.level if status is not None and status.assessed_at else None
    # Rendered without the schema's round trip (api.schemas.json_answer): built here in StatusOut's order.
    return json_answer(request, {
        "level": level,
        "level_word": level_display(level)["word"],
        "reasons": explain_reasons(status.reasons if status else []),
        "recommendations": explain_recommendations(status.recommendations if status else []),
        "monitoring": {
            "open": progress.open,
            "until": progress.until,
            "day": progress.day,
            "length": progress.length,
            "missed_days": progress.missed_days,
            "updated_today": progress.updated_today,
        },
        "needs_attention": bool(status and status.needs_attention),
        "last_declaration_at": status.last_declaration_at if status else None,
        "last_update_at": status.last_update_at if status else None,
        "pass": {
            "token": issued.token, "colour": issued.colour, "colour_label": issued.colour_label,
            "expires_at": issued.expires_at,
            "code": issued.code_display or None,
        },
        "follow_up": followup_for_citizen(person, read=read.sources),
    })
