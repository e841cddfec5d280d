"""The officials' handling of citizen reports (phản ánh): moving a report along its statuses,
internal notes, replies the reporter sees, and turning a report about a person into a case.
The citizen's submission is in services.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role
from khaibao.audit.services import audit_record
from khaibao.cases.services import case_assign
from khaibao.core.errors import ServiceError
from khaibao.core.hooks import hooks_call
from khaibao.monitoring.assessment import person_contact_flag
from khaibao.people.access import visible_people
from khaibao.people.models import Person
from khaibao.reports.models import (
    PERSON_CATEGORIES,
    Report,
    ReportNote,
    ReportReply,
    ReportStatus,
    ReportStatusChange,
)
from khaibao.tracing import services as tracing

MAX_TEXT = 2000

# Where an official may move a report; a closed report may be reopened for verification.
TRANSITIONS: dict[str, frozenset[str]] = {
    ReportStatus.RECEIVED: frozenset({ReportStatus.VERIFYING, ReportStatus.HANDLED, ReportStatus.REJECTED, ReportStatus.DUPLICATE}),
    ReportStatus.VERIFYING: frozenset({ReportStatus.HANDLED, ReportStatus.REJECTED, ReportStatus.DUPLICATE}),
    ReportStatus.HANDLED: frozenset({ReportStatus.VERIFYING}),
    ReportStatus.REJECTED: frozenset({ReportStatus.VERIFYING}),
    ReportStatus.DUPLICATE: frozenset({ReportStatus.VERIFYING}),
}


def _official(actor: Any) -> Account:
    if getattr(actor, "role", None) != Role.OFFICIAL:
        raise ServiceError(_("Only health officials handle reports."), code="officials_only", status=403)
    return actor  # type: ignore[no-any-return]


@transaction.atomic
def report_status_change(
    *, actor: Any, report: Report, status: str, duplicate_of: Report | None = None, ip: str = ""
) -> Report:
    """Move `report` along received → verifying → handled | rejected | duplicate (of
    `duplicate_of`, another report the official can see — found by the caller through the
    selectors). Writes a ReportStatusChange row and an audit event.
    """
    actor = _official(actor)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if status not in ReportStatus.values:
        raise ServiceError(_("Some fields are not valid."), fields={"status": _("Choose a status from the list.")})
    if status not in TRANSITIONS[report.status]:
        raise ServiceError(
            _("A report that is “%(from)s” cannot become “%(to)s”.")
            % {"from": ReportStatus(report.status).label, "to": ReportStatus(status).label},
            code="invalid_transition", fields={"status": _("Not possible from the current status.")}, status=409,
        )
    if status == ReportStatus.DUPLICATE:
        if duplicate_of is None or duplicate_of.pk == report.pk:
            raise ServiceError(
                _("Some fields are not valid."),
                fields={"duplicate_of": _("Give the number of the other report this one repeats.")},
            )
        report.duplicate_of = duplicate_of
    else:
        report.duplicate_of = None
    previous = report.status
    report.status = status
    report.save(update_fields=["status", "duplicate_of", "updated_at"])
    ReportStatusChange.objects.create(report=report, from_status=previous, to_status=status, actor=actor)
    audit_record(
        actor=actor, action="report.status", obj=report, ip=ip,
        data={"from": previous, "to": status, "duplicate_of": report.duplicate_of_id},
    )
    return report


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Some fields are not valid."), fields={"text": _("Write something first.")})
    if len(text) > MAX_TEXT:
        raise ServiceError(
            _("Some fields are not valid."), fields={"text": _("Keep it under %(n)d characters.") % {"n": MAX_TEXT}}
        )
    return text


@transaction.atomic
def report_note_add(*, actor: Any, report: Report, text: str, ip: str = "") -> ReportNote:
    """Add an official's internal note (never shown to the reporter)."""
    actor = _official(actor)
    note = ReportNote.objects.create(report=report, author=actor, text=_clean_text(text))
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())
    audit_record(actor=actor, action="report.note", obj=report, ip=ip, data={"note_id": note.pk})
    return note


@transaction.atomic
def report_reply_add(*, actor: Any, report: Report, text: str, ip: str = "") -> ReportReply:
    """Add a reply the reporter sees (in their account or through the tracking code); a
    signed-in reporter is notified (REPORT_REPLIED_HOOKS), an anonymous one follows the code."""
    actor = _official(actor)
    reply = ReportReply.objects.create(report=report, author=actor, text=_clean_text(text))
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())
    audit_record(actor=actor, action="report.reply", obj=report, ip=ip, data={"reply_id": reply.pk})
    if report.reporter is not None:
        hooks_call("REPORT_REPLIED_HOOKS", account=report.reporter, report_id=report.pk)
    return reply


@dataclass(frozen=True)
class CaseInput:
    person_id: int | None = None
    full_name: str = ""
    phone: str = ""
    id_number: str = ""
    birth_year: int | None = None
    sex: str = ""


def _case_person(*, actor: Account, report: Report, data: CaseInput, ip: str) -> Person:
    if data.person_id is not None:
        person = visible_people(actor).filter(pk=data.person_id).first()
        if person is None:
            raise ServiceError(
                _("Some fields are not valid."), fields={"person_id": _("No person with this number in your area.")}
            )
        return person
    clean, errors = tracing.identity_clean(data, today=timezone.localdate())
    clean["ward_code"] = report.ward_id
    if errors:
        raise ServiceError(_("Some fields are not valid."), fields=errors)
    # The same matching and creation as contact tracing: an ID number or phone finds an
    # existing person; otherwise a new person in the report's ward, in no household.
    person, how = tracing.person_match(clean)
    if person is None:
        return tracing.person_create_outside_households(actor=actor, clean=clean, ip=ip)
    if not visible_people(actor).filter(pk=person.pk).exists():
        # Answered as a person_id outside the area is (the access layer's "not in your area"):
        # the person's id — and the case that would open in their name — stay out of reach;
        # break the glass is the audited way to them.
        field = "id_number" if how == "id_number" else "phone"
        raise tracing.LookupRefused(
            _("Some fields are not valid."), fields={field: _("No person with this number in your area.")},
            lookup=tracing.lookup_indexes(clean), outcome="outside_area", person_id=person.pk,
        )
    return person


def report_to_case(*, actor: Any, report: Report, data: CaseInput, ip: str = "") -> Person:
    """Turn a report about a person (a suspected case, or someone back from an epidemic area
    not declared or not isolating) into a case: find or create the person (as contact
    tracing does), flag them as a suspected case (F1, which puts them in their ward's triage
    queue) and open a follow-up case assigned to `actor`. A report already turned into a case
    returns its person.

    An ID number or phone that finds someone outside `actor`'s area (people.access) is refused
    as a person_id outside it is, and one that finds no one without the birth year and sex to
    register them is refused too; both refusals are audited (`report.to_case_refused`, with the
    blind indexes of what was looked up), so trying numbers is never silent.
    """
    try:
        return _report_to_case(actor=actor, report=report, data=data, ip=ip)
    except tracing.LookupRefused as refused:
        # After the rollback of the refused write: the event must stay although nothing else does.
        tracing.lookup_refused_record(
            actor=actor, action="report.to_case_refused", purpose="report_to_case", refused=refused, obj=report, ip=ip,
        )
        raise


@transaction.atomic
def _report_to_case(*, actor: Any, report: Report, data: CaseInput, ip: str) -> Person:
    actor = _official(actor)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.person_id is not None:
        return report.person  # type: ignore[return-value]
    if report.category not in PERSON_CATEGORIES:
        raise ServiceError(
            _("Only a report about a person (a suspected case, or someone not declaring or isolating) becomes a case."),
            code="not_about_a_person", status=409,
        )
    person = _case_person(actor=actor, report=report, data=data, ip=ip)
    person_contact_flag(person=person, contact_level="F1", now=timezone.now())
    case_assign(actor=actor, person=person, ip=ip)
    report.person = person
    report.save(update_fields=["person", "updated_at"])
    audit_record(actor=actor, action="report.to_case", obj=report, person_id=person.pk, ip=ip)
    return person
