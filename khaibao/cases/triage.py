"""The officials' triage queue: its filters, its keyset pages, its rows for the API and exports.

Everything is scoped to the official's jurisdiction here, on the status rows' denormalised
home ward and province (docs/architecture.md, "Officials' triage queue").
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.audit.lists import audit_list_shown
from khaibao.cases.labels import case_outcome_label, outcome_result_subquery
from khaibao.cases.models import CaseStatus, FollowUpCase
from khaibao.cases.officials import official_out, require_official
from khaibao.core.days import day_end, day_start
from khaibao.core.errors import ServiceError
from khaibao.core.params import date_in_range, date_range_message
from khaibao.declarations.labels import colour_label
from khaibao.monitoring.explain import level_display
from khaibao.monitoring.labels import contact_level_label
from khaibao.monitoring.models import Level, PersonStatus
from khaibao.monitoring.queue import (
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
from khaibao.people.access import jurisdiction_q
from khaibao.people.models import Person

PAGE_MAX = 100
PAGE_DEFAULT = 50
FOLLOWUP_STATUSES = ("none", "open", "unassigned", "assigned")
_MAX_INT = 2**31 - 1


def _status_scope_q(user: Account) -> Q:
    # The queue reads the denormalised home_ward/home_province columns so that a jurisdiction's
    # queue is one range scan of (home_province|home_ward, in_queue, -queue_rank, queue_since).
    scope = jurisdiction_q(user, ward_field="home_ward", province_field="home_province")
    return Q(pk__in=[]) if scope is None else scope


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


def int_param(params: Mapping[str, Any], name: str, fields: dict[str, str], *, minimum: int = 0) -> int | None:
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


def date_param(params: Mapping[str, Any], name: str, fields: dict[str, str]) -> date | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        value: date | None = raw
    else:
        try:
            value = parse_date(str(raw))
        except ValueError:
            value = None
    if value is None:
        fields[name] = _("Must be a date (YYYY-MM-DD).")
    elif not date_in_range(value):
        fields[name] = date_range_message()
        return None
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
        assigned = int_param(params, "assigned", fields, minimum=1)
    filters = TriageFilters(
        ward=int_param(params, "ward", fields, minimum=1),
        level=level if "level" not in fields else None,
        reason=reason if "reason" not in fields else None,
        followup=followup if "followup" not in fields else None,
        assigned=assigned,
        since_from=date_param(params, "since_from", fields),
        since_to=date_param(params, "since_to", fields),
        min_missed=int_param(params, "min_missed", fields, minimum=0),
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


def _filtered(user: Account, filters: TriageFilters, today: date) -> QuerySet[PersonStatus]:
    qs = PersonStatus.objects.filter(_status_scope_q(user), in_queue=True)
    if filters.ward is not None:
        qs = qs.filter(home_ward_id=filters.ward)
    if filters.level is not None:
        qs = qs.filter(level=filters.level)
    if filters.reason is not None:
        qs = qs.filter(_reason_q(filters.reason, today))
    if filters.since_from is not None:
        qs = qs.filter(queue_since__gte=day_start(filters.since_from))
    if filters.since_to is not None:
        qs = qs.filter(queue_since__lt=day_end(filters.since_to))
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
    def contact_level_label(self) -> str:
        return contact_level_label(self.status.contact_level)

    @property
    def reason_labels(self) -> list[str]:
        return [str(QUEUE_REASONS[r]) for r in self.reasons]

    @property
    def outcome_label(self) -> str:
        """The open case's latest outcome with a test's result ("Test result: Positive")."""
        return case_outcome_label(self.case) if self.case is not None else ""

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


_QUEUE_ORDER = ("-queue_rank", "queue_since", "person_id")


def _page_statuses(
    qs: QuerySet[PersonStatus], after: tuple[int, datetime, int] | None, want: int
) -> list[PersonStatus]:
    """Up to `want` rows of `qs` in queue order, after the keyset `after` (rank, since, person).

    The rows after a cursor are read as up to three consecutive ranges of the queue index —
    the rest of the cursor's tie (same rank and waiting time), the rest of its rank, the lower
    ranks — each one query that stops after the rows still wanted. One OR-ed condition over the
    three gives the same rows, but PostgreSQL cannot bound an index scan with it: it walked the
    queue from its first row, so page n cost n pages and a 1M-row export was quadratic (hours;
    review "scale" #1). A row whose rank changed between two of the queries is not shown twice.
    """
    ordered = qs.order_by(*_QUEUE_ORDER)
    if after is None:
        return list(ordered[:want])
    rank, since, person_id = after
    rows: list[PersonStatus] = []
    for piece in (
        Q(queue_rank=rank, queue_since=since, person_id__gt=person_id),
        Q(queue_rank=rank, queue_since__gt=since),
        Q(queue_rank__lt=rank),
    ):
        seen = {row.person_id for row in rows}
        rows += [row for row in ordered.filter(piece)[: want - len(rows)] if row.person_id not in seen]
        if len(rows) >= want:
            break
    return rows


def triage_queue(
    user: Any,
    *,
    filters: TriageFilters | None = None,
    cursor: str | None = None,
    limit: int = PAGE_DEFAULT,
    ip: str = "",
    audited: bool = True,
) -> TriagePage:
    """One page of the official's triage queue: urgent first, then by vulnerability and
    escalation (queue_rank), then the longest waiting (queue_since), person id last.

    Keyset pagination over (queue_rank desc, queue_since asc, person_id asc): pass the
    page's `next_cursor` back for the next page; pages stay stable while rows change.
    Two queries whatever the page size (the rows, then their open follow-up cases; after a
    cursor the rows take up to three, each a range of the queue index), plus the
    page's one audit event (`list.triage`: who, which filters, the ids shown — audit/lists.py);
    an export walks the pages unaudited (`audited=False`) and records its own `list.export`.
    """
    user = require_official(user)
    filters = filters or TriageFilters()
    limit = max(1, min(int(limit), PAGE_MAX))
    today = timezone.localdate()
    qs = _filtered(user, filters, today).select_related("person", "home_ward")
    statuses = _page_statuses(qs, _cursor_decode(cursor) if cursor else None, limit + 1)
    more = len(statuses) > limit
    statuses = statuses[:limit]
    cases = {
        c.person_id: c
        for c in FollowUpCase.objects.filter(
            person_id__in=[s.person_id for s in statuses], status=CaseStatus.OPEN
        ).select_related("assigned_to").annotate(outcome_result=outcome_result_subquery())
    } if statuses else {}
    items = [TriageRow(status=s, case=cases.get(s.person_id), reasons=queue_reasons(s, today), today=today) for s in statuses]
    if audited:
        audit_list_shown(
            actor=user, action="list.triage", person_ids=[s.person_id for s in statuses], filters=filters, ip=ip,
            extra={"next_page": bool(cursor)},
        )
    next_cursor = None
    if more and statuses:
        last = statuses[-1]
        next_cursor = _cursor_encode(last.queue_rank, last.queue_since or timezone.now(), last.person_id)
    return TriagePage(items=items, next_cursor=next_cursor, filters=filters)


def level_fields(level: Mapping[str, Any]) -> dict[str, Any]:
    """A level (monitoring.explain.level_display) as the API names it, word and colour beside."""
    return {
        "level": level["level"], "level_word": level["word"],
        "colour": level["colour"], "colour_label": colour_label(level["colour"]),
    }


def followup_marks(status: PersonStatus) -> dict[str, Any]:
    """What the missed-updates job and tracing marked on a status row, as the API names it."""
    return {
        "missed_days": status.missed_days,
        "escalated_at": status.escalated_at,
        "lost_to_followup_at": status.lost_to_followup_at,
        "contact_level": status.contact_level,
        "contact_level_label": contact_level_label(status.contact_level),
    }


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
        **level_fields(row.level),
        "reasons": row.reasons,
        "reason_labels": row.reason_labels,
        "queue_rank": status.queue_rank,
        "queue_since": status.queue_since,
        "waiting_minutes": int(row.waiting.total_seconds() // 60) if row.waiting is not None else None,
        **followup_marks(status),
        "follow_up": None if case is None else {
            "case_id": case.pk,
            "status": case.status,
            "status_label": case.get_status_display(),  # type: ignore[attr-defined]
            "assigned_to": official_out(case.assigned_to),
            "outcome": case.outcome,
            "outcome_label": row.outcome_label,
            "last_action_at": case.last_action_at,
        },
    }


def triage_export_rows(user: Any, *, filters: TriageFilters | None = None, batch: int = PAGE_MAX) -> Iterator[dict[str, Any]]:
    """Every queue row matching `filters`, in queue order, as dicts — for exports. Walks the
    keyset pages, so memory stays flat whatever the size."""
    cursor: str | None = None
    while True:
        page = triage_queue(user, filters=filters, cursor=cursor, limit=batch, audited=False)
        for row in page.items:
            yield triage_row_dict(row)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def triage_matching(user: Any, *, filters: TriageFilters | None = None) -> QuerySet[PersonStatus]:
    """The queue rows `triage_export_rows` would yield, unordered — for counting them (an
    export decides between streaming and a background job from a bounded count)."""
    user = require_official(user)
    return _filtered(user, filters or TriageFilters(), timezone.localdate())
