"""Follow-up by health officials (theo dõi, xử lý): cases, actions, reveal (the missed-updates
job: cases/missed.py).

Each service runs in one transaction and writes its audit event in it. Access to the person
was checked by the caller through khaibao.accounts.access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role
from khaibao.audit.services import audit_record
from khaibao.cases.contacts import family_contacts
from khaibao.cases.models import ActionKind, CaseStatus, FollowUpAction, FollowUpCase, TestResult
from khaibao.cases.officials import colleagues
from khaibao.core.errors import ServiceError
from khaibao.monitoring.assessment import assessment_in_force, person_status_home_fill, status_acted
from khaibao.monitoring.models import LEVEL_ORDER, Assessment, PersonStatus, Source
from khaibao.monitoring.queue import queue_apply, under_monitoring
from khaibao.people.access import processing_allowed
from khaibao.people.models import Person
from khaibao.risk import engine

NOTES_MAX = 2000
REVEAL_REASON_MIN, REVEAL_REASON_MAX = 5, 300
# Reasons this app adds to a status (texts in khaibao.monitoring.explain).
REASON_CONFIRMED_CASE = "followup.confirmed_case"
REASON_CLEARED = "followup.cleared"
# Actions that do not acknowledge what put a person in the queue: nobody was reached.
_NOT_ACKNOWLEDGING = frozenset({ActionKind.CALLED_NOT_REACHED, ActionKind.LOST_TO_FOLLOWUP})
# A confirmed case needs hospital isolation and treatment (DOMAIN.md §3): the top level.
F0_LEVEL = "urgent"


def _official(actor: Any) -> Account:
    if getattr(actor, "role", None) != Role.OFFICIAL:
        raise ServiceError(_("Only health officials follow people up."), code="officials_only", status=403)
    return actor  # type: ignore[no-any-return]


def _open_case(*, actor: Account, person: Person, now: datetime) -> tuple[FollowUpCase, bool]:
    # Lock the person: two officials acting at once must not open two cases.
    Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True).first()
    processing_allowed(person)  # consent withdrawn: no case, no action, no status row back
    case = FollowUpCase.objects.filter(person=person, status=CaseStatus.OPEN).first()
    if case is not None:
        return case, False
    case = FollowUpCase.objects.create(person=person, opened_by=actor, opened_at=now)
    audit_record(actor=actor, action="followup.open", obj=case, person_id=person.pk)
    return case, True


@transaction.atomic
def case_assign(*, actor: Any, person: Person, assignee_id: int | None = None, ip: str = "") -> FollowUpCase:
    """Assign the person's open follow-up case (opening one if needed) to `assignee_id`, or to
    the actor when it is None. The assignee must be an official inside the actor's
    jurisdiction; anyone else is refused with a field error and nothing is written.
    """
    actor = _official(actor)
    if assignee_id is None:
        assignee: Account | None = actor
    else:
        assignee = colleagues(actor).filter(pk=assignee_id).first()
        if assignee is None:
            raise ServiceError(
                _("Choose an official of your jurisdiction."), fields={"assignee_id": _("Not an official you can assign.")}
            )
    now = timezone.now()
    case, _created = _open_case(actor=actor, person=person, now=now)
    case.assigned_to = assignee
    case.assigned_at = now
    case.save(update_fields=["assigned_to", "assigned_at"])
    audit_record(
        actor=actor, action="followup.assign", obj=case, person_id=person.pk, ip=ip,
        data={"assignee": assignee.pk if assignee else None},
    )
    return case


@dataclass(frozen=True)
class ActionIn:
    kind: str
    notes: str = ""
    test_result: str = ""
    test_date: date | None = None
    at: datetime | None = None


def _clean_action(data: ActionIn, today: date) -> dict[str, str]:
    fields: dict[str, str] = {}
    if data.kind not in ActionKind.values:
        fields["kind"] = _("Not one of the allowed actions.")
    if len(data.notes) > NOTES_MAX:
        fields["notes"] = _("Keep the notes under %(max)s characters.") % {"max": NOTES_MAX}
    if data.kind == ActionKind.TEST_RESULT:
        if data.test_result not in TestResult.values:
            fields["test_result"] = _("Say whether the test was positive or negative.")
        if data.test_date is None:
            fields["test_date"] = _("Give the date of the test.")
        elif data.test_date > today:
            fields["test_date"] = _("The test date cannot be in the future.")
        elif data.test_date < today - timedelta(days=60):
            fields["test_date"] = _("The test date is too far in the past.")
    elif data.test_result or data.test_date:
        fields["test_result"] = _("Only a test result has a result and a test date.")
    if data.at is not None and data.at > timezone.now() + timedelta(minutes=5):
        fields["at"] = _("The time of the action cannot be in the future.")
    return fields


def case_action_errors(data: ActionIn) -> dict[str, str]:
    """What case_action_record would refuse in `data` (field → message), checked before a
    confirmation page is shown; {} when it is fine."""
    return _clean_action(data, timezone.localdate())


def _vulnerability(status: PersonStatus) -> int:
    return max(0, status.priority) % engine.current_rules().priority.level_step


def _status_for_update(person: Person) -> PersonStatus:
    status, _created = PersonStatus.objects.select_for_update().get_or_create(person=person)
    if _created:
        person_status_home_fill(status, person)
    return status


def _apply_to_status(status: PersonStatus, data: ActionIn, *, today: date, now: datetime) -> None:
    rules = engine.current_rules()
    step = rules.priority.level_step
    if data.kind not in _NOT_ACKNOWLEDGING:
        status.needs_attention = False
        status.escalated_at = None
    if data.kind == ActionKind.LOST_TO_FOLLOWUP:
        status.lost_to_followup_at = status.lost_to_followup_at or now
    else:
        # An official acted: the person is not lost, whatever the job concluded before.
        status.lost_to_followup_at = None
    if data.kind == ActionKind.TEST_RESULT and data.test_result == TestResult.POSITIVE:
        status.is_f0 = True
        status.contact_level = "F0"
        if LEVEL_ORDER.get(status.level, 0) < LEVEL_ORDER[F0_LEVEL] or status.assessed_at is None:
            status.level = F0_LEVEL
        status.reasons = [*[r for r in status.reasons if r != REASON_CONFIRMED_CASE], REASON_CONFIRMED_CASE]
        status.recommendations = list(rules.recommendations[status.level])
        status.priority = LEVEL_ORDER[status.level] * step + _vulnerability(status)
        status.assessed_at = status.assessed_at or now
        # The case is followed for a full period from the test (isolation and monitoring).
        until = (data.test_date or today) + timedelta(days=rules.monitoring_days)
        if not under_monitoring(status, today):
            status.monitoring_from = today
            status.monitoring_until = max(until, today)
        else:
            status.monitoring_until = max(status.monitoring_until or until, until)
        status.ruleset_version = status.ruleset_version or rules.version
    elif data.kind == ActionKind.CLEARED:
        # Clearing is the official's decision to lower the level (the engine never does it
        # alone) and to end monitoring: the period's last day was yesterday. It judged every
        # answer dated up to today: from now on the assessment leaves those out (cleared_at), or
        # the person's next update would raise them again from the same facts.
        status.cleared_at = now
        status.level = "low"
        status.reasons = [REASON_CLEARED]
        status.recommendations = list(rules.recommendations["low"])
        status.priority = _vulnerability(status)
        status.is_f0 = False
        status.contact_level = ""
        status.needs_attention = False
        status.escalated_at = None
        status.lost_to_followup_at = None
        status.missed_days = 0
        if under_monitoring(status, today):
            # On the day monitoring began this is the day before it: the case view then says
            # that monitoring ended (never "from today until yesterday").
            status.monitoring_until = today - timedelta(days=1)


def _official_assessment(
    status: PersonStatus, before: dict[str, Any] | None, data: ActionIn, *, today: date, now: datetime
) -> Assessment | None:
    """The Assessment row of an official's action that changed the assessment in force (decision
    C: a row per change, docs/decisions/0008) — a positive test (F0, urgent) or "cleared" (low,
    monitoring ended) — so that the history shows it beside the engine's; None when nothing
    changed (e.g. clearing someone already cleared). The row holds what the status now holds."""
    if data.kind not in (ActionKind.TEST_RESULT, ActionKind.CLEARED):
        return None
    if assessment_in_force(status, today) == before:
        return None
    status.confirmed_at = None  # the assessment changed: "last confirmed unchanged" starts again
    positive = data.kind == ActionKind.TEST_RESULT
    return Assessment.objects.create(
        person_id=status.person_id,
        source=Source.OFFICIAL,
        level=status.level,
        # No run of the engine: the level is the official's decision.
        engine_level=status.level,
        level_kept=False,
        reasons=list(status.reasons),
        recommendations=list(status.recommendations),
        ruleset_version=status.ruleset_version or engine.current_rules().version,
        monitoring_days=engine.current_rules().monitoring_days if positive else 0,
        monitoring_until=status.monitoring_until,
        priority=status.priority,
        created_at=now,
    )


@transaction.atomic
def case_action_record(*, actor: Any, person: Person, data: ActionIn, ip: str = "") -> FollowUpAction:
    """Record a follow-up action on `person` (opening a case if none is open) and bring their
    status and queue place up to date.

    * a positive test result marks the person a confirmed case: F0, level urgent (hospital
      isolation and treatment, DOMAIN.md §3), monitoring for a full period from the test;
    * "cleared" lowers the level to low, ends monitoring (last day: yesterday), clears the
      F0/contact flags and closes the case — the person leaves the queue; later assessments
      leave out the answers dated up to the clearing day (`PersonStatus.cleared_at`), so only
      a new need raises the level again;
    * either, when it changes the assessment in force, writes an Assessment row (source
      "official") like the engine's, so the assessment history shows the official's change;
    * any action but "called, not reached" and "lost to follow-up" acknowledges the reasons
      that need an official (new risk-factor declaration, escalation);
    * any action but "lost to follow-up" resets the lost-to-follow-up clock.
    """
    actor = _official(actor)
    now = timezone.now()
    today = timezone.localdate(now)
    fields = _clean_action(data, today)
    if fields:
        raise ServiceError(_("Some answers need correcting."), fields=fields)
    case, _created = _open_case(actor=actor, person=person, now=now)
    action = FollowUpAction.objects.create(
        case=case, person=person, kind=data.kind, notes=data.notes.strip(),
        test_result=data.test_result if data.kind == ActionKind.TEST_RESULT else "",
        test_date=data.test_date if data.kind == ActionKind.TEST_RESULT else None,
        at=data.at or now, actor=actor,
    )
    case.outcome = data.kind
    case.last_action_at = now
    if data.kind == ActionKind.CLEARED:
        case.status = CaseStatus.CLOSED
        case.closed_at = now
    case.save()

    status = _status_for_update(person)
    before = assessment_in_force(status, today)
    _apply_to_status(status, data, today=today, now=now)
    _official_assessment(status, before, data, today=today, now=now)
    status_acted(status, now)  # an official's action keeps the person's health data (retention)
    queue_apply(status, today, now)
    status.save()
    # Ids only: the action's kind and the case's outcome (hospitalised, quarantined, a test) are
    # health details the trail would keep past health retention and erasure; the object id
    # points to the row, which goes with them (docs/privacy.md, "The audit trail").
    audit_record(
        actor=actor, action="followup.action", obj=action, person_id=person.pk, ip=ip,
        data={"case": case.pk},
    )
    if case.status == CaseStatus.CLOSED:
        audit_record(actor=actor, action="followup.close", obj=case, person_id=person.pk, ip=ip)
    return action


@transaction.atomic
def person_reveal(*, actor: Any, person: Person, reason: str, ip: str = "") -> dict[str, Any]:
    """The person's full ID number and phone, for an official who states why ("person.reveal"
    audit event with the reason). Without a reason nothing is revealed or written; nor for a person
    who withdrew consent (409 `processing_stopped`).

    A person with no phone of their own (a child, someone a volunteer declares for) is reached
    through whoever declares for them: `contacts` then lists the household owners' and active
    volunteers' phones, labelled (`contacts.family_contacts`), and the same event names their
    accounts. Otherwise `contacts` is empty."""
    actor = _official(actor)
    processing_allowed(person)
    reason = (reason or "").strip()
    if not REVEAL_REASON_MIN <= len(reason) <= REVEAL_REASON_MAX:
        raise ServiceError(
            _("Say why you need the full ID number and phone."),
            fields={"reason": _("Write a reason of %(min)s to %(max)s characters.")
                    % {"min": REVEAL_REASON_MIN, "max": REVEAL_REASON_MAX}},
        )
    contacts = [] if person.phone else family_contacts(person)
    audit_record(
        actor=actor, action="person.reveal", obj=person, person_id=person.pk, reason=reason, ip=ip,
        data={"contacts": [c["account_id"] for c in contacts]} if contacts else None,
    )
    return {"id_number": person.id_number or "", "phone": person.phone or "", "contacts": contacts}


__all__ = [
    "ActionIn",
    "case_action_record",
    "case_assign",
    "person_reveal",
]
