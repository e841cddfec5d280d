"""One person's case, as a health official sees it: identity (masked unless revealed),
declarations in plain words, daily updates, assessments with their reasons, the follow-up
history and the household — and the same for the API.

The three long histories (declarations, daily updates, assessment changes) are keyset pages of
`CASE_HISTORY_MAX` rows, newest first, each with its own cursor (`HISTORY_SECTIONS`), so that
none of a long-monitored person's history is out of an official's reach.

The person is fetched through `case_person` (the access layer: 404 alike for missing and not
yours, audited with the purpose).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khaibao.cases.contacts import household_from_person_side
from khaibao.cases.labels import case_outcome_label, result_label
from khaibao.cases.missed import lost_after_days
from khaibao.cases.models import CaseStatus, FollowUpAction, FollowUpCase
from khaibao.cases.officials import official_out, require_official
from khaibao.cases.triage import followup_marks, level_fields
from khaibao.core.errors import ServiceError
from khaibao.core.keyset import KeysetPage, keyset_page
from khaibao.declarations import answer_labels
from khaibao.declarations.labels import declared_as_label
from khaibao.declarations.models import Declaration
from khaibao.declarations.selectors import declaration_dict
from khaibao.monitoring.explain import explain_recommendations, level_display, reason_message
from khaibao.monitoring.labels import contact_level_label
from khaibao.monitoring.models import Assessment, DailyUpdate, PersonStatus, feeling_label
from khaibao.monitoring.queue import ESCALATE_AFTER_DAYS, QUEUE_REASONS, queue_reasons
from khaibao.monitoring.selectors import declarations_assessed
from khaibao.people.access import access_person_for_user, processing_allowed_q
from khaibao.people.models import Person
from khaibao.people.selectors import mask_id_number, masked_phone
from khaibao.risk import engine

# Rows of each history a page shows, newest first; the next page is the section's cursor.
CASE_HISTORY_MAX = 200
# The paged histories, each with its own cursor (a page parameter `<section>_cursor`).
HISTORY_SECTIONS = ("declarations", "updates", "assessments")


# Reasons a follow-up adds, worded for the official reading the case (the citizen's own pages say
# "your follow-up": monitoring.explain).
_FOR_OFFICIALS = {
    "followup.cleared": gettext_lazy("A health official ended the follow-up (cleared): monitoring is no longer needed."),
}


def _reason_text(rule_id: str, version: str) -> str:
    if rule_id in _FOR_OFFICIALS:
        return str(_FOR_OFFICIALS[rule_id])
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
    update_symptoms: dict[int, list[dict[str, str]]]  # update id -> its symptoms with their names
    assessments: list[dict[str, Any]]
    cases: list[FollowUpCase]
    open_case: FollowUpCase | None
    household: list[dict[str, Any]]
    lost_after_days: int
    today: date
    # Per history section: the cursor of its next (older) page, None on its last page.
    next_cursors: dict[str, str | None]
    # Per history section: why its cursor was refused ("" when it was not).
    page_errors: dict[str, str]
    # Consent withdrawn or erasure asked for (`people.access.processing_allowed_q`): the page is
    # reduced — no action may be taken, and the year of birth may be the decade erasure keeps.
    processing_stopped: bool = False

    @property
    def update_rows(self) -> list[dict[str, Any]]:
        """Each daily update with its symptoms' names, for the page."""
        return [{"update": u, "symptoms": self.update_symptoms[u.pk]} for u in self.updates]

    @property
    def age(self) -> int:
        return self.today.year - self.person.birth_year

    @property
    def age_group(self) -> str:
        """The decade of birth ("2010–2019"): all that is known once erasure has rounded the year
        down for the statistics, so a reduced page shows it instead of a year and an age."""
        start = self.person.birth_year // 10 * 10
        return f"{start}–{start + 9}"

    @property
    def contact_level_label(self) -> str:
        return contact_level_label(self.status.contact_level if self.status is not None else "")


def _identity(person: Person, revealed: Mapping[str, Any] | None) -> dict[str, Any]:
    ward = person.home_ward
    return {
        "id_number": (revealed["id_number"] if revealed else mask_id_number(person.id_number or "")) or None,
        "phone": (revealed["phone"] if revealed else masked_phone(person.phone or "")) or None,
        "revealed": revealed is not None,
        # Who declares for a person without a phone (`services.person_reveal`): revealed only.
        "contacts": list(revealed.get("contacts", [])) if revealed else [],
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
    return access_person_for_user(user, person_id, purpose=purpose, ip=ip)


def _history_page(qs: QuerySet[Any], cursor: str | None) -> tuple[KeysetPage[Any], str]:
    """One page of a history section, or an empty one with the message of a refused cursor."""
    try:
        return keyset_page(qs, cursor=cursor, limit=CASE_HISTORY_MAX), ""
    except ServiceError as exc:
        return KeysetPage(items=[], next_cursor=None), str(exc.message)


def case_view(
    person: Person, *, revealed: Mapping[str, Any] | None = None, cursors: Mapping[str, str | None] | None = None
) -> CaseView:
    """Everything an official needs about one person (fetched through `case_person`, which
    wrote the access audit event): identity (ID number and phone masked unless `revealed`),
    declarations with answers, daily updates, assessments with reasons and rule versions,
    follow-up history, household names and relations. A bounded number of queries.

    The declarations, daily updates and assessment changes are pages of `CASE_HISTORY_MAX`,
    newest first: `cursors` maps a section of `HISTORY_SECTIONS` to its page's cursor (missing:
    the newest page); a cursor not made here leaves that section empty with a message.
    """
    today = timezone.localdate()
    cursors = cursors or {}
    person = Person.objects.select_related("home_ward__province").get(pk=person.pk)
    status = PersonStatus.objects.filter(person=person).first()
    # Each order ends with the primary key: keyset pages need rows that never tie.
    pages = {
        "declarations": _history_page(
            Declaration.objects.filter(person=person).select_related("assessment", "declared_by")
            .order_by("-version", "-pk"),
            cursors.get("declarations"),
        ),
        "updates": _history_page(
            DailyUpdate.objects.filter(person=person).order_by("-day", "-pk"), cursors.get("updates")
        ),
        "assessments": _history_page(
            Assessment.objects.filter(person=person).order_by("-created_at", "-pk"), cursors.get("assessments")
        ),
    }
    declarations: list[Declaration] = pages["declarations"][0].items
    updates: list[DailyUpdate] = pages["updates"][0].items
    assessments: list[Assessment] = pages["assessments"][0].items
    cases = list(
        FollowUpCase.objects.filter(person=person)
        .select_related("assigned_to", "opened_by")
        .prefetch_related(Prefetch("actions", queryset=FollowUpAction.objects.select_related("actor").order_by("-at", "-id")))
        .order_by("-opened_at", "-id")
    )
    household = household_from_person_side(person)
    assessed = status is not None and status.assessed_at is not None
    declared_levels = declarations_assessed(person, declarations)
    names = answer_labels.place_names(d.answers for d in declarations)
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
                "answers": answer_labels.answer_lines(d.answers, names),
                "answer_labels": answer_labels.answers_labels(d.answers, names),
                "level": level_display(a.level if a else None),
            }
            for d, a in zip(declarations, declared_levels, strict=True)
        ],
        updates=updates,
        update_symptoms={u.pk: answer_labels.symptom_items(u.symptoms or []) for u in updates},
        assessments=[
            {
                "assessment": a,
                "level": level_display(a.level),
                "engine_level": level_display(a.engine_level),
                "reasons": [{"rule": r, "message": _reason_text(r, a.ruleset_version)} for r in a.reasons],
            }
            for a in assessments
        ],
        cases=cases,
        open_case=next((c for c in cases if c.status == CaseStatus.OPEN), None),
        household=household,
        lost_after_days=lost_after_days(),
        today=today,
        next_cursors={name: page.next_cursor for name, (page, _error) in pages.items()},
        page_errors={name: error for name, (_page, error) in pages.items()},
        processing_stopped=not Person.objects.filter(processing_allowed_q(), pk=person.pk).exists(),
    )


def _action_dict(action: FollowUpAction, *, with_notes: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": action.pk,
        "kind": action.kind,
        "kind_label": action.get_kind_display(),  # type: ignore[attr-defined]
        "test_result": action.test_result or None,
        "test_result_label": result_label(action.test_result),
        "test_date": action.test_date,
        "at": action.at,
        "actor": official_out(action.actor),
    }
    if with_notes:
        out["notes"] = action.notes
    return out


def case_view_dict(view: CaseView) -> dict[str, Any]:
    """The case view for the API."""
    status = view.status
    return {
        # Once processing stopped, erasure may have rounded the year down to its decade: no age then.
        "person": view.identity | {
            "id": view.person.pk, "age": None if view.processing_stopped else view.age,
            "age_group": view.age_group, "processing_stopped": view.processing_stopped,
        },
        "status": None if status is None else {
            **level_fields(view.level),
            "reasons": view.reasons,
            "recommendations": view.recommendations,
            "ruleset_version": status.ruleset_version,
            "assessed_at": status.assessed_at,
            "confirmed_at": status.confirmed_at,
            "monitoring_from": status.monitoring_from,
            "monitoring_until": status.monitoring_until,
            **followup_marks(status),
            "is_f0": status.is_f0,
            "in_queue": status.in_queue,
            "queue_reasons": [r["id"] for r in view.queue_reasons],
            "queue_reason_labels": [r["label"] for r in view.queue_reasons],
            "queue_since": status.queue_since,
        },
        "lost_to_followup_rule": lost_rule_text(view.lost_after_days),
        "declarations": [
            declaration_dict(d["declaration"]) | {
                "level": d["level"]["level"], "level_word": d["level"]["word"] if d["level"]["level"] else None,
                "answer_labels": d["answer_labels"],
            }
            for d in view.declarations
        ],
        "updates": [
            {
                "day": u.day,
                "symptoms": u.symptoms,
                "symptom_labels": view.update_symptoms[u.pk],
                "temperature": float(u.temperature) if u.temperature is not None else None,
                "feeling": u.feeling,
                "feeling_label": feeling_label(u.feeling),
                "updated_as": u.updated_as,
                "updated_as_label": declared_as_label(u.updated_as),
            }
            for u in view.updates
        ],
        "assessments": [
            {
                "source": a["assessment"].source,
                "source_label": str(a["assessment"].get_source_display()),
                "level": a["assessment"].level,
                "level_word": a["level"]["word"],
                "engine_level": a["assessment"].engine_level,
                "engine_level_word": a["engine_level"]["word"],
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
                "status_label": str(c.get_status_display()),  # type: ignore[attr-defined]
                "assigned_to": official_out(c.assigned_to),
                "opened_at": c.opened_at,
                "closed_at": c.closed_at,
                "outcome": c.outcome or None,
                "outcome_label": case_outcome_label(c) or None,
                "actions": [_action_dict(a, with_notes=True) for a in c.actions.all()],
            }
            for c in view.cases
        ],
        "household": [
            {
                "full_name": h["full_name"], "relation": h["relation"], "relation_label": str(h["relation_label"]),
                # The relation is the household owner's; this says how the member stands to the person read.
                "side_label": h["side_label"],
            }
            for h in view.household
        ],
    }


def lost_rule_text(days: int) -> str:
    """The lost-to-follow-up rule in words, shown on the case view and the queue."""
    return _(
        "Missed updates: 1 missed day lists the person; %(escalate)s days without contact escalate them; "
        "after %(days)s days without contact (no daily update and no action by an official) they are "
        "marked lost to follow-up. Recording any action resets the count."
    ) % {"escalate": ESCALATE_AFTER_DAYS, "days": days}
