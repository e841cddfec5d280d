"""Declarations: the universal health declaration and the risk-factor declaration."""

from __future__ import annotations

from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from khaibao.accounts.access import declarer_relation
from khaibao.audit.services import audit_record
from khaibao.core import rowsql
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


def _writes() -> transaction.Atomic:
    # The service's one transaction. Answers are checked before it opens, so the only errors
    # raised inside are the database's (a 500 that rolls back the caller's transaction too):
    # no savepoint is needed when the caller already has one open (the API's Idempotency-Key
    # middleware, the web's submission key), which saves two statements per declaration.
    return transaction.atomic(savepoint=False)


# The next version is read by the INSERT itself, one statement where a separate MAX was
# another. Safe because the person's row is locked first: the INSERT, a later statement, sees
# (READ COMMITTED) every declaration committed before the lock was granted. The lock cannot be
# folded into the same statement: a statement that waits for a lock still reads with the
# snapshot it started with, and would take a version already taken.
_NEXT_VERSION = (
    "(SELECT COALESCE(MAX(v.version), 0) + 1 FROM declarations_declaration v WHERE v.person_id = %s)"
)


def _declaration_create(
    *, actor: Any, person: Person, kind: str, answers: dict[str, Any], commitment: bool, consent: bool
) -> Declaration:
    # Precompiled statements (core/rowsql.py): the declaration is the API's busiest write.
    # Lock the person so that two declarations at once cannot take the same version number,
    # and so that versions and creation times of one person rise together.
    rowsql.fetch(Person, "id = %s", [person.pk], columns=["id"], for_update=True)
    questionnaire = current_questionnaire()
    declaration = Declaration(
        person=person,
        version=0,  # taken by the INSERT (_NEXT_VERSION)
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
    sql, params = rowsql.insert_statement(declaration, {"version": (_NEXT_VERSION, [person.pk])})
    alias = router.db_for_write(Declaration)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql + " RETURNING id, version", params)
        declaration.pk, declaration.version = cursor.fetchone()
    declaration._state.adding = False
    declaration._state.db = alias
    return declaration


def declaration_submit(*, actor: Any, person: Person, data: DeclarationIn, ip: str = "") -> Declaration:
    """Record a universal declaration (khai báo y tế toàn dân) for `person` and assess it.

    Declaring again adds a new version; the history stays. `actor` may be the person, their
    household owner or an active volunteer; access was checked by the caller through
    accounts.access. Bad answers raise ServiceError with every bad field and write nothing.
    """
    answers = declaration_answers(data, questionnaire=current_questionnaire(), today=timezone.localdate())
    with _writes():
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


def risk_declaration_submit(*, actor: Any, person: Person, data: RiskDeclarationIn, ip: str = "") -> Declaration:
    """Record a risk-factor declaration (khai báo yếu tố nguy cơ) for `person` and assess it.

    Assessed like a declaration (together with the latest universal declaration), and it
    always flags the person for their ward's health officials (`needs_attention`), whatever
    the level.
    """
    answers = risk_declaration_answers(data, questionnaire=current_questionnaire(), today=timezone.localdate())
    with _writes():
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
