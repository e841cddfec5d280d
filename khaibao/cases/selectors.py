"""Reads for health officials: the triage queue, the follow-up list and the case view.

Everything is scoped to the official's jurisdiction here; a person asked for by id goes
through khaibao.accounts.access (404 alike for missing and not yours, audited).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khaibao.accounts.models import Account, Role, ScopeLevel
from khaibao.cases.models import ActionKind, CaseStatus, FollowUpAction, FollowUpCase, TestResult
from khaibao.cases.queue import (
    ESCALATE_AFTER_DAYS,
    QUEUE_CONTACT_LEVELS,
    QUEUE_LEVELS,
    QUEUE_REASONS,
    REASON_CONTACT,
    REASON_ESCALATION,
    REASON_LEVEL,
    REASON_LOST,
    REASON_MISSED,
    REASON_RISK_DECLARATION,
    queue_reasons,
)
from khaibao.core import rowsql
from khaibao.core.errors import ServiceError
from khaibao.declarations import labels
from khaibao.declarations.models import Declaration
from khaibao.monitoring.explain import explain_recommendations, level_display, reason_message
from khaibao.monitoring.models import Assessment, DailyUpdate, Level, PersonStatus
from khaibao.people.access import access_person_for_user, jurisdiction_q
from khaibao.people.models import HouseholdMembership, Person
from khaibao.people.selectors import mask_id_number, masked_phone
from khaibao.places.models import Ward
from khaibao.risk import engine

PAGE_MAX = 100
PAGE_DEFAULT = 50
CASE_HISTORY_MAX = 200
FOLLOWUP_STATUSES = ("none", "open", "unassigned", "assigned")
_MAX_INT = 2**31 - 1


def require_official(user: Any) -> Account:
    """Only health officials use the console's triage and cases; others are refused (403)."""
    if (
        user is None
        or not getattr(user, "is_authenticated", False)
        or getattr(user, "role", None) != Role.OFFICIAL
        or jurisdiction_q(user) is None
    ):
        raise ServiceError(_("Only health officials can see the triage queue and cases."), code="officials_only", status=403)
    return user  # type: ignore[no-any-return]


def _status_scope_q(user: Account) -> Q:
    # The queue reads the denormalised home_ward/home_province columns so that a jurisdiction's
    # queue is one range scan of (home_province|home_ward, in_queue, -queue_rank, queue_since).
    # Same jurisdiction as accounts.access.jurisdiction_q, on those columns.
    if user.scope_level == ScopeLevel.NATIONAL:
        return Q()
    if user.scope_level == ScopeLevel.PROVINCE and user.scope_province_id:
        return Q(home_province_id=user.scope_province_id)
    if user.scope_level == ScopeLevel.WARD and user.scope_ward_id:
        return Q(home_ward_id=user.scope_ward_id)
    return Q(pk__in=[])


# --- filters and cursor ---------------------------------------------------------------------

@dataclass(frozen=True)
class TriageFilters:
    ward: int | None = None
    level: str | None = None
    reason: str | None = None
    followup: str | None = None  # none | open | unassigned | assigned
    assigned: int | None = None  # account id
    since_from: date | None = None  # queue_since, local date, inclusive
    since_to: date | None = None
    min_missed: int | None = None


def _int_param(params: Mapping[str, Any], name: str, fields: dict[str, str], *, minimum: int = 0) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw))
    except ValueError:
        fields[name] = _("Must be a whole number.")
        return None
    if not minimum <= value <= _MAX_INT:
        fields[name] = _("Must be at least %(limit)s.") % {"limit": minimum} if value < minimum else _("This number is too large.")
        return None
    return value


def _date_param(params: Mapping[str, Any], name: str, fields: dict[str, str]) -> date | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        return raw
    try:
        value = parse_date(str(raw))
    except ValueError:
        value = None
    if value is None:
        fields[name] = _("Must be a date (YYYY-MM-DD).")
    return value


def triage_filters_parse(params: Mapping[str, Any], *, user: Account | None = None) -> TriageFilters:
    """Filters from query parameters (API, console form, exports); ServiceError naming every
    bad field. `assigned=me` means `user`."""
    fields: dict[str, str] = {}
    level = params.get("level") or None
    if level is not None and level not in Level.values:
        fields["level"] = _("Not one of the allowed values.")
    reason = params.get("reason") or None
    if reason is not None and reason not in QUEUE_REASONS:
        fields["reason"] = _("Not one of the allowed values.")
    followup = params.get("followup") or None
    if followup is not None and followup not in FOLLOWUP_STATUSES:
        fields["followup"] = _("Not one of the allowed values.")
    assigned: int | None
    if params.get("assigned") == "me" and user is not None:
        assigned = user.pk
    else:
        assigned = _int_param(params, "assigned", fields, minimum=1)
    filters = TriageFilters(
        ward=_int_param(params, "ward", fields, minimum=1),
        level=level if "level" not in fields else None,
        reason=reason if "reason" not in fields else None,
        followup=followup if "followup" not in fields else None,
        assigned=assigned,
        since_from=_date_param(params, "since_from", fields),
        since_to=_date_param(params, "since_to", fields),
        min_missed=_int_param(params, "min_missed", fields, minimum=0),
    )
    if filters.since_from and filters.since_to and filters.since_from > filters.since_to:
        fields["since_to"] = _("The end date is before the start date.")
    if fields:
        raise ServiceError(_("Some filters need correcting."), fields=fields)
    return filters


def _cursor_encode(rank: int, since: datetime, person_id: int) -> str:
    raw = json.dumps([rank, since.isoformat(), person_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[int, datetime, int]:
    bad = ServiceError(_("This page link is not valid any more. Start again from the first page."),
                       fields={"cursor": _("Not a valid cursor.")})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, since_raw, person_id = json.loads(raw)
        since = parse_datetime(since_raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if not isinstance(rank, int) or not isinstance(person_id, int) or since is None or abs(rank) > _MAX_INT:
        raise bad
    if timezone.is_naive(since) or not 0 <= person_id <= 2**63 - 1:
        raise bad
    return rank, since, person_id


# --- the triage queue -----------------------------------------------------------------------

def _reason_q(reason: str, today: date) -> Q:
    return {
        REASON_LEVEL: Q(level__in=QUEUE_LEVELS, assessed_at__isnull=False),
        REASON_RISK_DECLARATION: Q(needs_attention=True),
        REASON_ESCALATION: Q(escalated_at__isnull=False),
        REASON_MISSED: Q(missed_days__gte=1, monitoring_until__gte=today),
        REASON_LOST: Q(lost_to_followup_at__isnull=False),
        REASON_CONTACT: Q(contact_level__in=QUEUE_CONTACT_LEVELS) | Q(is_f0=True),
    }[reason]


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(user: Account, filters: TriageFilters, today: date) -> QuerySet[PersonStatus]:
    qs = PersonStatus.objects.filter(_status_scope_q(user), in_queue=True)
    if filters.ward is not None:
        qs = qs.filter(home_ward_id=filters.ward)
    if filters.level is not None:
        qs = qs.filter(level=filters.level)
    if filters.reason is not None:
        qs = qs.filter(_reason_q(filters.reason, today))
    if filters.since_from is not None:
        qs = qs.filter(queue_since__gte=_local_midnight(filters.since_from))
    if filters.since_to is not None:
        qs = qs.filter(queue_since__lt=_local_midnight(filters.since_to + timedelta(days=1)))
    if filters.min_missed is not None:
        qs = qs.filter(missed_days__gte=min(filters.min_missed, 32767))
    open_cases = FollowUpCase.objects.filter(person_id=OuterRef("person_id"), status=CaseStatus.OPEN)
    if filters.followup == "none":
        qs = qs.filter(~Exists(open_cases))
    elif filters.followup == "open":
        qs = qs.filter(Exists(open_cases))
    elif filters.followup == "unassigned":
        qs = qs.filter(~Exists(open_cases.filter(assigned_to__isnull=False)))
    elif filters.followup == "assigned":
        qs = qs.filter(Exists(open_cases.filter(assigned_to__isnull=False)))
    if filters.assigned is not None:
        qs = qs.filter(Exists(open_cases.filter(assigned_to_id=filters.assigned)))
    return qs


@dataclass
class TriageRow:
    status: PersonStatus
    case: FollowUpCase | None
    reasons: list[str]
    today: date

    @property
    def person(self) -> Person:
        return self.status.person  # type: ignore[no-any-return]

    @property
    def level(self) -> dict[str, Any]:
        return level_display(self.status.level if self.status.assessed_at else None)

    @property
    def age(self) -> int:
        return self.today.year - self.person.birth_year

    @property
    def reason_labels(self) -> list[str]:
        return [str(QUEUE_REASONS[r]) for r in self.reasons]

    @property
    def waiting(self) -> timedelta | None:
        since = self.status.queue_since
        return timezone.now() - since if since is not None else None

    @property
    def escalated(self) -> bool:
        return self.status.escalated_at is not None


@dataclass
class TriagePage:
    items: list[TriageRow]
    next_cursor: str | None
    filters: TriageFilters = field(default_factory=TriageFilters)


def triage_queue(
    user: Any, *, filters: TriageFilters | None = None, cursor: str | None = None, limit: int = PAGE_DEFAULT
) -> TriagePage:
    """One page of the official's triage queue: urgent first, then by vulnerability and
    escalation (queue_rank), then the longest waiting (queue_since), person id last.

    Keyset pagination over (queue_rank desc, queue_since asc, person_id asc): pass the
    page's `next_cursor` back for the next page; pages stay stable while rows change.
    Two queries whatever the page size (the rows, then their open follow-up cases).
    """
    user = require_official(user)
    filters = filters or TriageFilters()
    limit = max(1, min(int(limit), PAGE_MAX))
    today = timezone.localdate()
    qs = _filtered(user, filters, today)
    if cursor:
        rank, since, person_id = _cursor_decode(cursor)
        qs = qs.filter(
            Q(queue_rank__lt=rank)
            | Q(queue_rank=rank, queue_since__gt=since)
            | Q(queue_rank=rank, queue_since=since, person_id__gt=person_id)
        )
    statuses = list(
        qs.select_related("person", "home_ward").order_by("-queue_rank", "queue_since", "person_id")[: limit + 1]
    )
    more = len(statuses) > limit
    statuses = statuses[:limit]
    cases = {
        c.person_id: c
        for c in FollowUpCase.objects.filter(
            person_id__in=[s.person_id for s in statuses], status=CaseStatus.OPEN
        ).select_related("assigned_to")
    } if statuses else {}
    items = [TriageRow(status=s, case=cases.get(s.person_id), reasons=queue_reasons(s, today), today=today) for s in statuses]
    next_cursor = None
    if more and statuses:
        last = statuses[-1]
        next_cursor = _cursor_encode(last.queue_rank, last.queue_since or timezone.now(), last.person_id)
    return TriagePage(items=items, next_cursor=next_cursor, filters=filters)


def _official_out(account: Account | None) -> dict[str, Any] | None:
    if account is None:
        return None
    return {"id": account.pk, "name": account.display_name or account.username or ""}


def triage_row_dict(row: TriageRow) -> dict[str, Any]:
    """A queue row for the API and exports (no ID number or phone: the case view reveals those)."""
    status, person, case = row.status, row.person, row.case
    ward = status.home_ward
    return {
        "person_id": person.pk,
        "full_name": person.full_name,
        "birth_year": person.birth_year,
        "age": row.age,
        "ward_code": status.home_ward_id,
        "ward_name": ward.name if ward is not None else "",
        "province_code": status.home_province_id,
        "level": row.level["level"],
        "level_word": row.level["word"],
        "colour": row.level["colour"],
        "reasons": row.reasons,
        "queue_rank": status.queue_rank,
        "queue_since": status.queue_since,
        "waiting_minutes": int(row.waiting.total_seconds() // 60) if row.waiting is not None else None,
        "missed_days": status.missed_days,
        "escalated_at": status.escalated_at,
        "lost_to_followup_at": status.lost_to_followup_at,
        "contact_level": status.contact_level,
        "follow_up": None if case is None else {
            "case_id": case.pk,
            "status": case.status,
            "assigned_to": _official_out(case.assigned_to),
            "outcome": case.outcome,
            "last_action_at": case.last_action_at,
        },
    }


def triage_export_rows(user: Any, *, filters: TriageFilters | None = None, batch: int = PAGE_MAX) -> Iterator[dict[str, Any]]:
    """Every queue row matching `filters`, in queue order, as dicts — for exports. Walks the
    keyset pages, so memory stays flat whatever the size."""
    cursor: str | None = None
    while True:
        page = triage_queue(user, filters=filters, cursor=cursor, limit=batch)
        for row in page.items:
            yield triage_row_dict(row)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


# --- follow-up list (exports) ---------------------------------------------------------------

@dataclass(frozen=True)
class FollowupFilters:
    status: str | None = None  # open | closed
    ward: int | None = None
    assigned: int | None = None
    opened_from: date | None = None
    opened_to: date | None = None


def followup_filters_parse(params: Mapping[str, Any], *, user: Account | None = None) -> FollowupFilters:
    fields: dict[str, str] = {}
    status = params.get("status") or None
    if status is not None and status not in CaseStatus.values:
        fields["status"] = _("Not one of the allowed values.")
    assigned = user.pk if params.get("assigned") == "me" and user is not None else _int_param(params, "assigned", fields, minimum=1)
    filters = FollowupFilters(
        status=status if "status" not in fields else None,
        ward=_int_param(params, "ward", fields, minimum=1),
        assigned=assigned,
        opened_from=_date_param(params, "opened_from", fields),
        opened_to=_date_param(params, "opened_to", fields),
    )
    if fields:
        raise ServiceError(_("Some filters need correcting."), fields=fields)
    return filters


def followup_list(user: Any, filters: FollowupFilters | Mapping[str, Any] | None = None, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Follow-up cases of people in the official's jurisdiction, newest first, as dicts (for
    exports): one query per `batch` cases, keyset by id. Notes are not included."""
    user = require_official(user)
    if filters is None:
        filters = FollowupFilters()
    elif not isinstance(filters, FollowupFilters):
        filters = followup_filters_parse(filters, user=user)
    scope = jurisdiction_q(user, ward_field="person__home_ward")
    # An empty Q() (national scope) is falsy: `scope or …` would hide everything from them.
    qs = FollowUpCase.objects.filter(scope if scope is not None else Q(pk__in=[]))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.ward is not None:
        qs = qs.filter(person__home_ward_id=filters.ward)
    if filters.assigned is not None:
        qs = qs.filter(assigned_to_id=filters.assigned)
    if filters.opened_from is not None:
        qs = qs.filter(opened_at__gte=_local_midnight(filters.opened_from))
    if filters.opened_to is not None:
        qs = qs.filter(opened_at__lt=_local_midnight(filters.opened_to + timedelta(days=1)))
    qs = qs.select_related("person__home_ward", "person__status", "assigned_to").order_by("-id")
    last_id: int | None = None
    while True:
        page = list((qs.filter(id__lt=last_id) if last_id is not None else qs)[:batch])
        for case in page:
            person = case.person
            status = getattr(person, "status", None)
            yield {
                "case_id": case.pk,
                "person_id": person.pk,
                "full_name": person.full_name,
                "birth_year": person.birth_year,
                "ward_code": person.home_ward_id,
                "ward_name": person.home_ward.name,
                "level": status.level if status is not None else None,
                "contact_level": status.contact_level if status is not None else "",
                "missed_days": status.missed_days if status is not None else 0,
                "status": case.status,
                "assigned_to": (case.assigned_to.display_name or case.assigned_to.username) if case.assigned_to else "",
                "opened_at": case.opened_at,
                "closed_at": case.closed_at,
                "outcome": case.outcome,
                "last_action_at": case.last_action_at,
            }
        if len(page) < batch:
            return
        last_id = page[-1].pk


# --- the case view --------------------------------------------------------------------------

def _answer_lines(answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A declaration's answers in plain words for the console (codes become labels)."""
    lines: list[tuple[str, str]] = []
    yes, no = _("Yes"), _("No")
    for key, title in (
        ("contact_with_case", _("Contact with a case")),
        ("came_from_epidemic_area", _("Came from an epidemic area")),
        ("suspect_infection", _("Suspects infection")),
    ):
        if key in answers:
            lines.append((title, yes if answers[key] else no))
    symptoms = answers.get("symptoms") or []
    lines.append((_("Symptoms"), ", ".join(
        f"{labels.label(labels.SYMPTOM_LABELS, s.get('code', ''))} ({_date_text(s.get('onset'))})" for s in symptoms
    ) or _("None")))
    exposures = answers.get("exposures") or []
    lines.append((_("Contacts"), ", ".join(
        f"{labels.label(labels.EXPOSURE_LABELS, e.get('code', ''))} ({_date_text(e.get('date') or e.get('on'))})"
        for e in exposures
    ) or _("None")))
    travel = answers.get("travel") or []
    lines.append((_("Travel"), "; ".join(_travel_text(t) for t in travel) or _("None")))
    conditions = answers.get("conditions") or []
    if conditions or "pregnant" in answers:
        lines.append((_("Underlying conditions"), ", ".join(
            labels.label(labels.CONDITION_LABELS, c) for c in conditions) or _("None")))
        lines.append((_("Pregnant"), yes if answers.get("pregnant") else no))
    return lines


def _date_text(value: Any) -> str:
    parsed = parse_date(str(value)) if value else None
    return parsed.strftime("%d/%m/%Y") if parsed else str(value or "")


def _travel_text(entry: Mapping[str, Any]) -> str:
    place = entry.get("ward_name") or entry.get("province_name") or entry.get("country") or entry.get(
        "ward_code") or entry.get("province_code") or "?"
    return f"{place} ({_date_text(entry.get('start'))}–{_date_text(entry.get('end'))})"


def _reason_text(rule_id: str, version: str) -> str:
    try:
        rules = engine.rules_by_version(version)
    except LookupError:
        return reason_message(rule_id)
    if rule_id.startswith(("monitoring.", "followup.")):
        return reason_message(rule_id)
    return engine.reason_text(rule_id, rules=rules)


@dataclass
class CaseView:
    person: Person
    status: PersonStatus | None
    identity: dict[str, Any]
    level: dict[str, Any]
    queue_reasons: list[dict[str, str]]
    reasons: list[dict[str, str]]
    recommendations: list[dict[str, str]]
    declarations: list[dict[str, Any]]
    updates: list[DailyUpdate]
    assessments: list[dict[str, Any]]
    cases: list[FollowUpCase]
    open_case: FollowUpCase | None
    household: list[dict[str, str]]
    lost_after_days: int
    today: date

    @property
    def age(self) -> int:
        return self.today.year - self.person.birth_year


def _identity(person: Person, revealed: Mapping[str, str] | None) -> dict[str, Any]:
    ward = person.home_ward
    return {
        "id_number": (revealed["id_number"] if revealed else mask_id_number(person.id_number or "")) or None,
        "phone": (revealed["phone"] if revealed else masked_phone(person.phone or "")) or None,
        "revealed": revealed is not None,
        "full_name": person.full_name,
        "birth_year": person.birth_year,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "sex_label": person.get_sex_display(),  # type: ignore[attr-defined]
        "ward_code": ward.code,
        "ward_name": ward.name,
        "province_code": ward.province_id,
        "province_name": ward.province.name,
    }


def case_person(user: Any, person_id: int, *, purpose: str = "case_view", ip: str = "") -> Person:
    """The person behind a case, for an official of their jurisdiction — audited access
    (who, whom, when, IP) with `purpose`; 403 for non-officials, 404 for others' people."""
    require_official(user)
    if not 0 < person_id <= 2**63 - 1:
        from django.http import Http404

        raise Http404
    return access_person_for_user(user, person_id, purpose=purpose, ip=ip)


def case_view(person: Person, *, revealed: Mapping[str, str] | None = None) -> CaseView:
    """Everything an official needs about one person (fetched through `case_person`, which
    wrote the access audit event): identity (ID number and phone masked unless `revealed`),
    declarations with answers, daily updates, assessments with reasons and rule versions,
    follow-up history, household names and relations. A bounded number of queries.
    """
    from django.conf import settings

    today = timezone.localdate()
    person = Person.objects.select_related("home_ward__province").get(pk=person.pk)
    status = PersonStatus.objects.filter(person=person).first()
    declarations = list(
        Declaration.objects.filter(person=person).select_related("assessment").order_by("-version")[:CASE_HISTORY_MAX]
    )
    updates = list(DailyUpdate.objects.filter(person=person).order_by("-day")[:CASE_HISTORY_MAX])
    assessments = list(Assessment.objects.filter(person=person).order_by("-created_at", "-id")[:CASE_HISTORY_MAX])
    cases = list(
        FollowUpCase.objects.filter(person=person)
        .select_related("assigned_to", "opened_by")
        .prefetch_related(Prefetch("actions", queryset=FollowUpAction.objects.select_related("actor").order_by("-at", "-id")))
        .order_by("-opened_at", "-id")
    )
    owners = HouseholdMembership.objects.filter(person=person).values("owner_id")
    household = [
        {"full_name": m.person.full_name, "relation": m.relation, "relation_label": m.get_relation_display()}  # type: ignore[attr-defined]
        for m in HouseholdMembership.objects.filter(owner_id__in=owners).select_related("person").order_by("owner_id", "created_at", "pk")
    ]
    assessed = status is not None and status.assessed_at is not None
    return CaseView(
        person=person,
        status=status,
        identity=_identity(person, revealed),
        level=level_display(status.level if assessed and status is not None else None),
        queue_reasons=[{"id": r, "label": str(QUEUE_REASONS[r])} for r in (queue_reasons(status, today) if status else [])],
        reasons=[{"rule": r, "message": _reason_text(r, status.ruleset_version)} for r in status.reasons] if status else [],
        recommendations=explain_recommendations(status.recommendations) if status else [],
        declarations=[
            {
                "declaration": d,
                "answers": _answer_lines(d.answers),
                "level": level_display(d.assessment.level) if hasattr(d, "assessment") else level_display(None),
            }
            for d in declarations
        ],
        updates=updates,
        assessments=[
            {
                "assessment": a,
                "level": level_display(a.level),
                "reasons": [{"rule": r, "message": _reason_text(r, a.ruleset_version)} for r in a.reasons],
            }
            for a in assessments
        ],
        cases=cases,
        open_case=next((c for c in cases if c.status == CaseStatus.OPEN), None),
        household=household,
        lost_after_days=int(getattr(settings, "FOLLOWUP_LOST_AFTER_DAYS", 3)),
        today=today,
    )


def _action_dict(action: FollowUpAction, *, with_notes: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": action.pk,
        "kind": action.kind,
        "kind_label": action.get_kind_display(),  # type: ignore[attr-defined]
        "test_result": action.test_result or None,
        "test_date": action.test_date,
        "at": action.at,
        "actor": _official_out(action.actor),
    }
    if with_notes:
        out["notes"] = action.notes
    return out


def case_view_dict(view: CaseView) -> dict[str, Any]:
    """The case view for the API."""
    status = view.status
    return {
        "person": view.identity | {"id": view.person.pk, "age": view.age},
        "status": None if status is None else {
            "level": view.level["level"],
            "level_word": view.level["word"],
            "colour": view.level["colour"],
            "reasons": view.reasons,
            "recommendations": view.recommendations,
            "ruleset_version": status.ruleset_version,
            "assessed_at": status.assessed_at,
            "monitoring_from": status.monitoring_from,
            "monitoring_until": status.monitoring_until,
            "missed_days": status.missed_days,
            "escalated_at": status.escalated_at,
            "lost_to_followup_at": status.lost_to_followup_at,
            "contact_level": status.contact_level,
            "is_f0": status.is_f0,
            "in_queue": status.in_queue,
            "queue_reasons": [r["id"] for r in view.queue_reasons],
            "queue_since": status.queue_since,
        },
        "lost_to_followup_rule": lost_rule_text(view.lost_after_days),
        "declarations": [
            {
                "id": d["declaration"].pk,
                "version": d["declaration"].version,
                "kind": d["declaration"].kind,
                "declared_as": d["declaration"].declared_as,
                "created_at": d["declaration"].created_at,
                "answers": d["declaration"].answers,
                "level": d["level"]["level"],
            }
            for d in view.declarations
        ],
        "updates": [
            {
                "day": u.day,
                "symptoms": u.symptoms,
                "temperature": float(u.temperature) if u.temperature is not None else None,
                "feeling": u.feeling,
                "updated_as": u.updated_as,
            }
            for u in view.updates
        ],
        "assessments": [
            {
                "source": a["assessment"].source,
                "level": a["assessment"].level,
                "engine_level": a["assessment"].engine_level,
                "level_kept": a["assessment"].level_kept,
                "reasons": a["reasons"],
                "ruleset_version": a["assessment"].ruleset_version,
                "created_at": a["assessment"].created_at,
            }
            for a in view.assessments
        ],
        "follow_up": [
            {
                "case_id": c.pk,
                "status": c.status,
                "assigned_to": _official_out(c.assigned_to),
                "opened_at": c.opened_at,
                "closed_at": c.closed_at,
                "outcome": c.outcome or None,
                "actions": [_action_dict(a, with_notes=True) for a in c.actions.all()],
            }
            for c in view.cases
        ],
        "household": [{"full_name": h["full_name"], "relation": h["relation"]} for h in view.household],
    }


def lost_rule_text(days: int) -> str:
    """The lost-to-follow-up rule in words, shown on the case view and the queue."""
    return _(
        "Missed updates: 1 missed day lists the person; %(escalate)s days without contact escalate them; "
        "after %(days)s days without contact (no daily update and no action by an official) they are "
        "marked lost to follow-up. Recording any action resets the count."
    ) % {"escalate": ESCALATE_AFTER_DAYS, "days": days}


# --- the citizen's side ---------------------------------------------------------------------

# Lazy: these are built at import, but must be translated into each reader's language.
_ADVICE = {
    ActionKind.CALLED_REACHED: gettext_lazy("A health official spoke with you. Follow the advice you were given and keep sending your daily update."),
    ActionKind.CALLED_NOT_REACHED: gettext_lazy("A health official tried to call you. Please call your ward health station back."),
    ActionKind.ADVISED_HOME_ISOLATION: gettext_lazy(
        "Isolate at home: stay in a separate room, wear a mask, keep 2 m from others, and send your daily update."
    ),
    ActionKind.REFERRED_FOR_TESTING: gettext_lazy(
        "Go for a test as your ward health station advised. Wear a mask and avoid public transport on the way."
    ),
    ActionKind.CONCENTRATED_QUARANTINE: gettext_lazy("You are in concentrated quarantine. Follow the instructions of the staff there."),
    ActionKind.HOSPITALISED: gettext_lazy("You are being treated in hospital. Follow the instructions of the medical staff."),
    ActionKind.CLEARED: gettext_lazy(
        "A health official has closed your follow-up: you no longer need to be monitored. Keep following the 5K message."
    ),
    ActionKind.LOST_TO_FOLLOWUP: gettext_lazy(
        "We could not reach you. Please contact your ward health station or call the hotline 1900 9095."
    ),
}
_TEST_ADVICE = {
    TestResult.POSITIVE: gettext_lazy(
        "Your test was positive: you are a confirmed case (F0). Stay isolated and wear a mask; the health "
        "station will arrange hospital isolation and treatment. Call 1900 9095 if you have trouble breathing."
    ),
    TestResult.NEGATIVE: gettext_lazy(
        "Your test was negative. Keep monitoring your health and send your daily update until your monitoring period ends."
    ),
}


def followup_advice(kind: str, test_result: str = "") -> str:
    if kind == ActionKind.TEST_RESULT:
        return str(_TEST_ADVICE.get(test_result, ""))  # type: ignore[call-overload]
    return str(_ADVICE.get(kind, ""))  # type: ignore[call-overload]


def followup_for_citizen(person: Person) -> dict[str, Any] | None:
    """What the person (or their household) sees of their follow-up: the latest outcome and
    the advice that goes with it — never the officials' notes or names. One query, two when
    there is a follow-up."""
    # Every citizen status read asks this, and most people never have a follow-up: precompiled
    # statements (core/rowsql.py) instead of an ORM query compiled per call, and without the
    # encrypted notes, which the citizen never sees.
    action = rowsql.fetch(
        FollowUpAction, "person_id = %s", [person.pk],
        columns=("id", "case_id", "kind", "test_result", "test_date", "at"),
        order_by='"at" DESC, id DESC',
    )
    if action is None:
        return None
    case = rowsql.fetch_values(FollowUpCase, ("status",), "id = %s", [action.case_id])
    if not case:
        return None  # the case was erased (retention) between the two reads
    case_status = case[0][0]
    label = action.get_kind_display()  # type: ignore[attr-defined]
    if action.kind == ActionKind.TEST_RESULT and action.test_result:
        label = f"{label}: {action.get_test_result_display()}"  # type: ignore[attr-defined]
    return {
        "status": case_status,
        "outcome": action.kind,
        "outcome_label": str(label),
        "test_result": action.test_result or None,
        "test_date": action.test_date,
        "at": action.at,
        "advice": followup_advice(action.kind, action.test_result),
    }


def colleagues(actor: Account) -> QuerySet[Account]:
    """Officials an official may assign a case to: active officials whose scope lies inside
    the actor's jurisdiction (a ward official: only their own ward's officials)."""
    qs = Account.objects.filter(role=Role.OFFICIAL, is_active=True)
    if actor.scope_level == ScopeLevel.NATIONAL:
        return qs
    if actor.scope_level == ScopeLevel.PROVINCE and actor.scope_province_id:
        return qs.filter(Q(scope_province_id=actor.scope_province_id) | Q(scope_ward__province_id=actor.scope_province_id))
    if actor.scope_level == ScopeLevel.WARD and actor.scope_ward_id:
        return qs.filter(scope_ward_id=actor.scope_ward_id)
    return qs.none()


def jurisdiction_wards(user: Any) -> list[Ward] | None:
    """The wards an official's queue can be filtered by; None for national scope (too many
    for a list: the console asks for a ward code instead)."""
    user = require_official(user)
    if user.scope_level == ScopeLevel.PROVINCE and user.scope_province_id:
        return list(Ward.objects.filter(province_id=user.scope_province_id).order_by("name"))
    if user.scope_level == ScopeLevel.WARD and user.scope_ward_id:
        return list(Ward.objects.filter(pk=user.scope_ward_id))
    return None


def assignable_officials(user: Any) -> list[Account]:
    """Officials `user` may assign a case to (their jurisdiction), by name."""
    return list(colleagues(require_official(user)).order_by("display_name", "username", "pk")[:200])


__all__ = [
    "CaseView",
    "FollowupFilters",
    "TriageFilters",
    "TriagePage",
    "TriageRow",
    "assignable_officials",
    "case_person",
    "case_view",
    "case_view_dict",
    "colleagues",
    "followup_for_citizen",
    "followup_list",
    "jurisdiction_wards",
    "lost_rule_text",
    "triage_export_rows",
    "triage_filters_parse",
    "triage_queue",
    "triage_row_dict",
]
