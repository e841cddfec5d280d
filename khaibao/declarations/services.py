"""Declarations: the universal health declaration and the risk-factor declaration."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from khaibao.accounts.access import declarer_relation
from khaibao.audit.services import audit_record
from khaibao.declarations.answers import (
    DeclarationIn,
    RiskDeclarationIn,
    declaration_answers,
    risk_declaration_answers,
)
from khaibao.declarations.models import Declaration, Kind
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.monitoring.models import Source
from khaibao.monitoring.services import person_assess
from khaibao.people.models import Person


def _declaration_create(
    *, actor: Any, person: Person, kind: str, answers: dict[str, Any], commitment: bool, consent: bool
) -> Declaration:
    # Lock the person so that two declarations at once cannot take the same version number.
    Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True).first()
    last = Declaration.objects.filter(person=person).aggregate(v=Max("version"))["v"] or 0
    questionnaire = current_questionnaire()
    return Declaration.objects.create(
        person=person,
        version=last + 1,
        kind=kind,
        declared_by=actor,
        declared_as=declarer_relation(actor, person),
        questionnaire_version=questionnaire.version,
        consent_version=questionnaire.consent_version,
        commitment=commitment,
        consent=consent,
        answers=answers,
        created_at=timezone.now(),
    )


@transaction.atomic
def declaration_submit(*, actor: Any, person: Person, data: DeclarationIn, ip: str = "") -> Declaration:
    """Record a universal declaration (khai báo y tế toàn dân) for `person` and assess it.

    Declaring again adds a new version; the history stays. `actor` may be the person, their
    household owner or an active volunteer; access was checked by the caller through
    accounts.access. Bad answers raise ServiceError with every bad field and write nothing.
    """
    answers = declaration_answers(data, questionnaire=current_questionnaire(), today=timezone.localdate())
    declaration = _declaration_create(
        actor=actor, person=person, kind=Kind.UNIVERSAL, answers=answers,
        commitment=bool(data.commitment), consent=bool(data.consent),
    )
    person_assess(person=person, source=Source.DECLARATION, now=declaration.created_at, declaration=declaration)
    audit_record(
        actor=actor, action="declaration.submit", obj=declaration, person_id=person.pk, ip=ip,
        data={"version": declaration.version, "declared_as": declaration.declared_as},
    )
    return declaration


@transaction.atomic
def risk_declaration_submit(*, actor: Any, person: Person, data: RiskDeclarationIn, ip: str = "") -> Declaration:
    """Record a risk-factor declaration (khai báo yếu tố nguy cơ) for `person` and assess it.

    Assessed like a declaration (together with the latest universal declaration), and it
    always flags the person for their ward's health officials (`needs_attention`), whatever
    the level.
    """
    answers = risk_declaration_answers(data, questionnaire=current_questionnaire(), today=timezone.localdate())
    declaration = _declaration_create(
        actor=actor, person=person, kind=Kind.RISK, answers=answers,
        commitment=bool(data.commitment), consent=bool(data.consent),
    )
    person_assess(
        person=person, source=Source.RISK_DECLARATION, now=declaration.created_at,
        declaration=declaration, needs_attention=True,
    )
    audit_record(
        actor=actor, action="risk_declaration.submit", obj=declaration, person_id=person.pk, ip=ip,
        data={"version": declaration.version, "declared_as": declaration.declared_as},
    )
    return declaration
