"""Lists of people seen, in the audit trail (issue 18, item 2).

Opening one person's record is audited by the access layer (`person.case_view`, …). A page or an
API page that lists people — the triage queue, a case's contacts, an organisation's members, the
report queue, an export — shows names, ages and levels of many people at once, and is audited
here: **one** event per page shown, never one per person, naming who looked, with which filter,
and the ids shown (`data = {"list": …, "filters": {…}, "people": [ids], …}`). One INSERT on the
page's request (`audit_record`), no query per person: the ids come from the rows the page
already read.

The data-protection officer finds "who saw person X in a list" beside "who opened X" with
`listed_q(X)` (privacy/audit_trail.py): on PostgreSQL a JSON containment served by a GIN index on
`data -> 'people'` (migration 0007); on SQLite the same test through `json_each`.

Only ids and codes go into `data` (the trail is kept for years and is never edited): filters are
codes, dates and numbers — never a name or a searched-for text in clear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from khaibao.audit.models import AuditEvent
from khaibao.audit.services import audit_record

# Each list's action code; labels and category in audit/labels.py.
LIST_ACTIONS = (
    "list.contacts",
    "list.export",
    "list.id_reviews",
    "list.members",
    "list.reports",
    "list.triage",
)
# Other events that name people under "people": the DPO's search by person finds them too.
SEARCHED_ACTIONS = (*LIST_ACTIONS, "break_glass.search")
# What one event may name; a longer list (an export file) is recorded in parts.
PEOPLE_MAX = 5000


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v not in (None, "", [], ())}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def filters_data(filters: Any) -> dict[str, Any]:
    """A filter object (a dataclass or a mapping) as the codes, dates and numbers it was set to."""
    if filters is None:
        return {}
    if is_dataclass(filters) and not isinstance(filters, type):
        filters = asdict(filters)
    plain = _plain(filters)
    return plain if isinstance(plain, dict) else {"value": plain}


def audit_list_shown(
    *,
    actor: Any,
    action: str,
    person_ids: Iterable[int | None],
    filters: Any = None,
    ip: str = "",
    extra: Mapping[str, Any] | None = None,
    person_id: int | None = None,
) -> list[AuditEvent]:
    """Record that `actor` was shown the people `person_ids` in the list `action`, filtered by
    `filters`. Call it with the page's rows once they are read: one event per page (a page holds
    at most a few hundred people); an export file longer than PEOPLE_MAX ids is recorded in parts
    of PEOPLE_MAX (`part`, `parts`), so every person in it can be found. `person_id`: the one person
    the whole list is about (a case's contacts: the case), recorded as the event's person, so the
    DPO's search by that person finds the list too."""
    if action not in LIST_ACTIONS:
        raise ValueError(f"{action!r} is not a list action (audit/lists.py)")
    seen: set[int] = set()
    ids: list[int] = []
    for pid in person_ids:
        if pid is not None and pid not in seen:
            seen.add(pid)
            ids.append(int(pid))
    chunks = [ids[i : i + PEOPLE_MAX] for i in range(0, len(ids), PEOPLE_MAX)] or [[]]
    events = []
    for number, chunk in enumerate(chunks, start=1):
        data: dict[str, Any] = {"filters": filters_data(filters), "people": chunk, "count": len(chunk)}
        if len(chunks) > 1:
            data.update(part=number, parts=len(chunks))
        data.update(extra or {})
        events.append(audit_record(actor=actor, action=action, person_id=person_id, ip=ip, data=data))
    return events


def listed_q(person_id: int) -> Q:
    """Events of a list in which `person_id` was shown."""
    if connection.vendor == "postgresql":
        # Only SEARCHED_ACTIONS write "people"; no action filter here, so the planner takes the GIN
        # index on data -> 'people' rather than every list event by (action, at).
        return Q(data__people__contains=[int(person_id)])
    shown = RawSQL(
        'EXISTS (SELECT 1 FROM json_each("audit_auditevent"."data", \'$.people\') WHERE json_each.value = %s)',
        [int(person_id)],
        output_field=BooleanField(),
    )
    return Q(action__in=SEARCHED_ACTIONS) & Q(shown)
