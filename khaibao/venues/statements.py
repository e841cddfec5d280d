"""A check-in in one statement (PostgreSQL): the hot path of a national morning (issue 20 §5).

The portable path (venues/services.py) takes a query per person for access, one for the repeat
check, and an INSERT per person and per audit event, in a transaction. Here, once the venue is
known (its id is sealed into the row by the application: the key never reaches SQL), one
statement does the rest:

    WITH asked AS (the person ids, in order),
         allowed AS (the household route of people.access, as its own SQL),
         go AS (the venue still open, and every person asked allowed),
         existing AS (each person's check-in at this venue within the repeat window),
         written AS (INSERT … SELECT one row per person without one, if go),
         event AS (INSERT … SELECT one audit event per written row: the person, never the venue)
    SELECT per person asked: the written id or the existing row, and the person's name

Nothing is written unless every person asked passes the household check and the venue is open;
then the caller takes the portable path, which answers 404 (not in the household, suspended
meanwhile) or writes through the access layer's volunteer route — the rule keeps one owner.
No transaction is opened around the statement: it is atomic by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.db import connection
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.core import rowsql
from khaibao.people.access import household_ids_sql
from khaibao.people.models import Person
from khaibao.venues.models import CheckIn

_ASKED: Final = "WITH asked AS (SELECT p, n FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(p, n))"
# The venue read again (it may have been suspended since the lookup: VenueStatus.SUSPENDED), and
# everyone asked found by the household route.
_GO: Final = (
    "SELECT 1 FROM venues_venue WHERE id = %s AND status <> 'suspended'"
    " AND (SELECT count(*) FROM allowed) = (SELECT count(*) FROM asked)"
)
# As the portable path: the latest check-in of the window per person (the highest id on a tie).
# The days of the window (`day` is the local date of `at`) let PostgreSQL read only their partitions.
_EXISTING: Final = (
    "SELECT DISTINCT ON (person_id) id, person_id, account_id, at, day, via, created_at FROM venues_checkin"
    " WHERE person_id = ANY(%s) AND venue_index = %s AND at >= %s AND at <= %s AND day >= %s AND day <= %s"
    " AND EXISTS (SELECT 1 FROM go)"
    " ORDER BY person_id, at DESC, id DESC"
)
_NEW_ROWS: Final = (
    "asked WHERE EXISTS (SELECT 1 FROM go) AND asked.p NOT IN (SELECT person_id FROM existing) ORDER BY asked.n"
)
_ANSWER: Final = (
    " SELECT (SELECT count(*) FROM go), asked.p, w.id, e.id, e.account_id, e.at, e.day, e.via, e.created_at,"
    " pp.full_name FROM asked LEFT JOIN written w ON w.person_id = asked.p"
    " LEFT JOIN existing e ON e.person_id = asked.p LEFT JOIN people_person pp ON pp.id = asked.p ORDER BY asked.n"
)


def _statement(allowed: str, new: str, event: str) -> str:
    # Literals and statements built from the models' identifiers; every value is a parameter.
    parts = f"allowed AS ({allowed}), go AS ({_GO}), existing AS ({_EXISTING}), written AS ({new} RETURNING id, person_id)"
    return f"{_ASKED}, {parts}, event AS ({event}){_ANSWER}"


def checkins_in_one_statement() -> bool:
    """Whether a check-in is written by `checkin_write` (PostgreSQL: data-modifying WITH clauses);
    SQLite keeps the portable path."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class Written:
    checkin: CheckIn  # with its person (id and name) attached
    created: bool


def checkin_write(
    *, actor: Any, venue_id: int, template: CheckIn, person_ids: list[int], since: datetime, until: datetime,
    event: AuditEvent,
) -> list[Written] | None:
    """Check `person_ids` (distinct, in the caller's order) in at the venue in one statement:
    `template` is the unsaved row every new check-in copies (all but its person), `event` the
    unsaved audit event each new check-in gets (its object and person filled in from the row).
    A person with a check-in at the venue between `since` and `until` keeps it (created False).
    None when nothing was written because the venue is closed or someone is not of `actor`'s
    household: the caller's portable path says which."""
    allowed_sql, allowed_params = household_ids_sql(actor, person_ids)
    new_sql, new_params = rowsql.insert_statement(template, {"person_id": ("asked.p", [])}, from_=_NEW_ROWS)
    event_sql, event_params = rowsql.insert_statement(
        event, {"object_id": ("written.id::text", []), "person_id": ("written.person_id", [])}, from_="written"
    )
    sql = _statement(allowed_sql, new_sql, event_sql)
    params = [
        person_ids, *allowed_params, venue_id,
        person_ids, template.venue_index, rowsql.param(CheckIn, "at", since), rowsql.param(CheckIn, "at", until),
        timezone.localdate(since), timezone.localdate(until),
        *new_params, *event_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows or not rows[0][0]:
        return None
    return [_written(template, row) for row in rows]


def _written(template: CheckIn, row: tuple[Any, ...]) -> Written:
    _go, person_id, new_id, old_id, account_id, at, day, via, created_at, full_name = row
    if new_id is not None:
        checkin = CheckIn(
            pk=new_id, person_id=person_id, account_id=template.account_id, venue_index=template.venue_index,
            venue_sealed=template.venue_sealed, at=template.at, day=template.day, via=template.via,
            created_at=template.created_at,
        )
    else:
        checkin = CheckIn(
            pk=old_id, person_id=person_id, account_id=account_id, venue_index=template.venue_index,
            venue_sealed=template.venue_sealed, at=at, day=day, via=via, created_at=created_at,
        )
    checkin._state.adding, checkin._state.db = False, connection.alias
    # Only what the answer shows (the name); the other fields load on access, as with `.only()`.
    checkin.person = Person.from_db(connection.alias, ["id", "full_name"], [person_id, full_name])
    return Written(checkin, new_id is not None)
