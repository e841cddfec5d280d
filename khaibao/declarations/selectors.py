from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Expression, F, IntegerField, Q

from khaibao.declarations.labels import declared_as_label, declared_by_volunteer, kind_label
from khaibao.declarations.models import Declaration, Kind
from khaibao.people.models import Person

HISTORY_PAGE_MAX = 100


def declarations_history(person: Person, *, before: int | None = None, limit: int = 50) -> list[Declaration]:
    """The person's declarations, newest first, each with its assessment — one query.

    Keyset-paginated by `version`: pass the last version seen as `before` for the next page.
    """
    limit = max(1, min(limit, HISTORY_PAGE_MAX))
    qs = Declaration.objects.filter(person=person).select_related("assessment", "declared_by")
    if before is not None:
        qs = qs.filter(version__lt=min(before, 2**31))
    return list(qs.order_by("-version")[:limit])


def current_floor_sql(person: str) -> str:
    """The rule of a person's current answers, as SQL: the lowest version still current — their
    latest universal declaration's, 0 when they have none (then every declaration counts).

    `person` is the SQL of the person's id (an outer query's column, or `%s`); the fragment then
    takes one parameter, `Kind.UNIVERSAL`. `current_answers` and `current_declarations_q` read it,
    so the engine and the zone warnings cannot disagree on which answers describe someone now.
    """
    # `person` is "%s" or a column the ORM compiled, never a value: values are parameters.
    return (
        "COALESCE((SELECT u.version FROM declarations_declaration u WHERE u.person_id = " + person  # noqa: S608
        + " AND u.kind = %s ORDER BY u.version DESC LIMIT 1), 0)"
    )


class _CurrentFloor(Expression):
    # `current_floor_sql` for the person of the row being filtered. The column is compiled, not
    # written out, so the fragment stays right whatever alias the query gives the table.
    def __init__(self) -> None:
        super().__init__(output_field=IntegerField())
        self.person: Any = F("person_id")

    def get_source_expressions(self) -> list[Any]:
        return [self.person]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.person,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        person_sql, params = compiler.compile(self.person)
        return current_floor_sql(person_sql), [*params, Kind.UNIVERSAL.value]


def current_declarations_q() -> Q:
    """Declarations among their person's current answers (`current_answers`'s rule), as a
    filter on `Declaration` querysets: set-based, one correlated subquery per row on the
    (person, version) index."""
    return Q(version__gte=_CurrentFloor())


_CURRENT_ANSWERS_SQL = (
    "SELECT answers FROM declarations_declaration WHERE person_id = %s AND version >= "  # noqa: S608
    + current_floor_sql("%s") + " ORDER BY version"
)


def current_answers(person: Person) -> list[dict[str, Any]]:
    """The answers that describe the person now: the latest universal declaration plus the
    risk-factor declarations made after it (a newer universal declaration supersedes them).
    """
    # One round trip, and plain SQL: this runs on every daily update (the hot path), where
    # compiling the equivalent ORM subquery cost more CPU than the query itself
    # (bench/RESULTS.md, "Hot path"). With no universal declaration every declaration counts.
    field: Any = Declaration._meta.get_field("answers")
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_ANSWERS_SQL, [person.pk, person.pk, Kind.UNIVERSAL.value])
        return [field.from_db_value(answers, None, connection) for (answers,) in cursor.fetchall()]


def declaration_dict(declaration: Declaration) -> dict[str, Any]:
    """A declaration as every reader receives it — the API, the officials' case view, the
    "My data" export — with its answers as stored, and the words beside its codes
    (declarations.labels, in the active language). The assessment is each reader's own (the
    citizen's API explains it, the case view shows its level, the export keeps it raw)."""
    return {
        "id": declaration.pk,
        "version": declaration.version,
        "kind": declaration.kind,
        "kind_label": kind_label(declaration.kind),
        "declared_as": declaration.declared_as,
        "declared_as_label": declared_as_label(declaration.declared_as),
        "declared_by_volunteer": declared_by_volunteer(declaration),
        "questionnaire_version": declaration.questionnaire_version,
        "consent_version": declaration.consent_version,
        "commitment": declaration.commitment,
        "consent": declaration.consent,
        "created_at": declaration.created_at,
        "answers": declaration.answers,
    }


def _assessment_raw(declaration: Declaration) -> dict[str, Any] | None:
    assessment = getattr(declaration, "assessment", None)
    return None if assessment is None else {
        "level": assessment.level,
        "reasons": assessment.reasons,
        "recommendations": assessment.recommendations,
        "ruleset_version": assessment.ruleset_version,
        "monitoring_until": assessment.monitoring_until,
    }


def declarations_for_export(person: Person) -> list[dict[str, Any]]:
    """Every declaration of `person`, oldest first, as plain JSON-ready dicts (for /me/export)."""
    qs = Declaration.objects.filter(person=person).select_related("assessment", "declared_by").order_by("version")
    return [declaration_dict(d) | {"assessment": _assessment_raw(d)} for d in qs]
