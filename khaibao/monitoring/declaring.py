"""Submitting a declaration: the universal one and the risk-factor one, stored and assessed.

The declaration itself — the questionnaire, the answers' checks, the Declaration row and what its
answers mean to the risk engine — is the declarations app's, below monitoring; what happens when
one is submitted is monitoring's: it is stored together with the person's new assessment, status
row and audit event, in one transaction (and on PostgreSQL in one statement, with the daily
update's builder: monitoring/statements.py). tests/test_declaration_paths.py runs both paths and
compares every row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from django.db import connection, connections, router, transaction
from django.utils import timezone

from khaibao.audit.services import audit_event, audit_record
from khaibao.core import rowsql
from khaibao.declarations.answers import (
    DeclarationIn,
    RiskDeclarationIn,
    declaration_answers,
    risk_declaration_answers,
)
from khaibao.declarations.models import Declaration, Kind
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.declarations.travel import travel_index
from khaibao.monitoring import statements
from khaibao.monitoring.assessment import person_assess, person_assess_inputs, person_assess_written_with
from khaibao.monitoring.models import Source
from khaibao.monitoring.statements import FromWritten, Written
from khaibao.people.access import DeclaredAs, declarer_relation
from khaibao.people.models import Person

# The next version is read by the INSERT itself, one statement where a separate MAX was
# another. Safe because a lock that serialises the person's declarations is taken first, by an
# earlier statement — the person's row (portable path), or their status row (PostgreSQL, with
# the assessment's inputs: monitoring/inputs.py, which creates the row when there is none yet) —
# so the INSERT sees (READ COMMITTED) every declaration committed before the lock was granted.
# The lock cannot be folded into the same statement: a statement that waits for a lock still
# reads with the snapshot it started with, and would take a version already taken.
_NEXT_VERSION: Final = (
    "(SELECT COALESCE(MAX(v.version), 0) + 1 FROM declarations_declaration v WHERE v.person_id = %s)"
)
# The audit event's object and version are the declaration's, known once its INSERT ran.
_EVENT_FROM_DECLARATION: Final = {
    "object_id": FromWritten("id::text", reads=("id",)),
    "data": FromWritten(
        "jsonb_build_object('version', version, 'declared_as', declared_as)", reads=("version", "declared_as")
    ),
}


def declaration_submit(
    *, actor: Any, person: Person, data: DeclarationIn, ip: str = "", declared_as: DeclaredAs | None = None
) -> Declaration:
    """Record a universal declaration (khai báo y tế toàn dân) for `person` and assess it.

    Declaring again adds a new version; the history stays. `actor` may be the person, their
    household owner or an active volunteer; access was checked by the caller through
    people.access — `access_declaring` also says as what (`declared_as`; asked here when not
    given). Bad answers raise ServiceError with every bad field and write nothing.
    """
    answers = declaration_answers(data, questionnaire=current_questionnaire(), today=timezone.localdate())
    return _submit(
        actor=actor, person=person, kind=Kind.UNIVERSAL, answers=answers, commitment=bool(data.commitment),
        consent=bool(data.consent), ip=ip, source=Source.DECLARATION, action="declaration.submit",
        needs_attention=False, declared_as=declared_as or declarer_relation(actor, person),
    )


def risk_declaration_submit(
    *, actor: Any, person: Person, data: RiskDeclarationIn, ip: str = "", declared_as: DeclaredAs | None = None
) -> Declaration:
    """Record a risk-factor declaration (khai báo yếu tố nguy cơ) for `person` and assess it.

    Assessed like a declaration (together with the latest universal declaration), and it
    always flags the person for their ward's health officials (`needs_attention`), whatever
    the level.
    """
    answers = risk_declaration_answers(data, questionnaire=current_questionnaire(), today=timezone.localdate())
    return _submit(
        actor=actor, person=person, kind=Kind.RISK, answers=answers, commitment=bool(data.commitment),
        consent=bool(data.consent), ip=ip, source=Source.RISK_DECLARATION, action="risk_declaration.submit",
        needs_attention=True, declared_as=declared_as or declarer_relation(actor, person),
    )


def _submit(
    *, actor: Any, person: Person, kind: str, answers: dict[str, Any], commitment: bool, consent: bool, ip: str,
    source: str, action: str, needs_attention: bool, declared_as: DeclaredAs,
) -> Declaration:
    # The service's one transaction. Answers are checked before it opens, so the only errors
    # raised inside are the database's (a 500 that rolls back the caller's transaction too):
    # no savepoint is needed when the caller already has one open (the API's Idempotency-Key
    # middleware, the web's submission key), which saves two statements per declaration.
    with transaction.atomic(savepoint=False):
        if statements.writes_in_one_statement():
            return _submit_in_one_statement(
                actor=actor, person=person, kind=kind, answers=answers, commitment=commitment, consent=consent,
                ip=ip, source=source, action=action, needs_attention=needs_attention, declared_as=declared_as,
            )
        declaration = _create(
            actor=actor, person=person, kind=kind, answers=answers, commitment=commitment, consent=consent,
            declared_as=declared_as,
        )
        person_assess(
            person=person, source=source, now=declaration.created_at, declaration=declaration,
            needs_attention=needs_attention,
        )
        audit_record(
            actor=actor, action=action, obj=declaration, person_id=person.pk, ip=ip,
            data={"version": declaration.version, "declared_as": declaration.declared_as},
        )
    return declaration


def _new(
    *, actor: Any, person: Person, kind: str, answers: dict[str, Any], commitment: bool, consent: bool,
    now: datetime, declared_as: DeclaredAs,
) -> Declaration:
    questionnaire = current_questionnaire()
    return Declaration(
        person=person,
        version=0,  # taken by the INSERT (_NEXT_VERSION)
        kind=kind,
        declared_by=actor,
        declared_as=declared_as,
        questionnaire_version=questionnaire.version,
        consent_version=questionnaire.consent_version,
        commitment=commitment,
        consent=consent,
        answers=answers,  # sealed in Python by the field, before any statement (issue 18)
        travel_index=travel_index(answers),
        created_at=now,
    )


def _insert(declaration: Declaration) -> rowsql.Statement:
    return rowsql.insert_statement(declaration, {"version": (_NEXT_VERSION, [declaration.person_id])})


def _create(
    *, actor: Any, person: Person, kind: str, answers: dict[str, Any], commitment: bool, consent: bool,
    declared_as: DeclaredAs,
) -> Declaration:
    # Precompiled statements (core/rowsql): the declaration is the API's busiest write.
    # Lock the person so that two declarations at once cannot take the same version number,
    # and so that versions and creation times of one person rise together.
    rowsql.fetch(Person, "id = %s", [person.pk], columns=["id"], for_update=True)
    declaration = _new(
        actor=actor, person=person, kind=kind, answers=answers, commitment=commitment, consent=consent,
        now=timezone.now(), declared_as=declared_as,
    )
    sql, params = _insert(declaration)
    alias = router.db_for_write(Declaration)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql + " RETURNING id, version", params)
        declaration.pk, declaration.version = cursor.fetchone()
    declaration._state.adding = False
    declaration._state.db = alias
    return declaration


def _submit_in_one_statement(
    *, actor: Any, person: Person, kind: str, answers: dict[str, Any], commitment: bool, consent: bool, ip: str,
    source: str, action: str, needs_attention: bool, declared_as: DeclaredAs,
) -> Declaration:
    """`_submit` on PostgreSQL: one read and one write statement instead of seven.

    The same rows as the portable path (`_create`, `person_assess`, `audit_record`), in another
    order: read the assessment's inputs with the person's status row locked — the lock that
    serialises their declarations (`_NEXT_VERSION`) — add this declaration to the current answers
    in memory, assess, then write the declaration, the Assessment, the status row and the audit
    event in one statement.
    """
    before = timezone.now()
    inputs = person_assess_inputs(person, before)
    # The time is taken once the lock is held, so that versions and creation times rise together.
    now = timezone.now()
    if timezone.localdate(now) != timezone.localdate(before):
        inputs = person_assess_inputs(person, now)  # midnight passed while waiting: that day's window
    declaration = _new(
        actor=actor, person=person, kind=kind, answers=answers, commitment=commitment, consent=consent, now=now,
        declared_as=declared_as,
    )
    # As current_answers would read them after the INSERT: a universal declaration supersedes
    # the earlier answers, a risk-factor declaration comes after them.
    inputs.answers = [answers] if kind == Kind.UNIVERSAL else [*inputs.answers, answers]
    event = audit_event(actor=actor, action=action, person_id=person.pk, ip=ip)
    event.object_type = Declaration.__name__
    assessment, read_back = person_assess_written_with(
        person=person, inputs=inputs, source=source, now=now, declaration=declaration,
        needs_attention=needs_attention, written=Written("declaration", _insert(declaration), read_back=("version",)),
        event=event, event_from_written=_EVENT_FROM_DECLARATION,
    )
    declaration.pk, declaration.version = assessment.declaration_id, read_back["version"]
    declaration._state.adding, declaration._state.db = False, connection.alias
    return declaration
