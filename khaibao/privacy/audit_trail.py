"""Reading the audit trail: the data-protection officer's search and export (issue 8, Build 5).

The trail itself (writing, sealing, verifying, retention's pruning and its anchor) belongs to
khaibao/audit; reading it is a data-protection task that knows roles and spreadsheets, so it
lives here, above accounts and exports.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from khaibao.accounts.models import Role
from khaibao.audit import labels
from khaibao.audit.lists import listed_q
from khaibao.audit.models import AuditEvent
from khaibao.audit.services import audit_record
from khaibao.core.days import day_end, day_start
from khaibao.core.errors import ServiceError
from khaibao.core.params import dates_in_range, positive_id
from khaibao.exports.writers import chunks, csv_stream, xlsx_bytes

PAGE = 50
# Reading the trail is the DPO's job. System admins already see it read-only in the Django
# admin; officials never: the trail records their own accesses.
AUDIT_READER_ROLES = frozenset({Role.DPO})


def may_read_audit(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in AUDIT_READER_ROLES


@dataclass(frozen=True)
class AuditFilters:
    """What the DPO searches by; every field optional. `actor` is a username or an account id;
    `category` is one of `labels.CATEGORIES` (sign-in, case access, exports, …); `action`
    matches exactly, or by prefix when it ends with "." (e.g. "person.")."""

    person_id: int | None = None
    actor: str = ""
    action: str = ""
    category: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        # Whoever builds the filters (API, console, export), a date out of range is refused here,
        # before a year 9999 plus a day overflows in the query (core.params).
        dates_in_range(date_from=self.date_from, date_to=self.date_to)

    def as_data(self) -> dict[str, Any]:
        """Ids and codes only, for the audit event of an export."""
        return {
            "person_id": self.person_id,
            "actor": self.actor,
            "action": self.action,
            "category": self.category,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    person_id: int | None
    reason: str
    ip: str
    # For a list seen (audit/lists.py): how many people the page showed.
    people_listed: int | None = None

    # The words beside the codes (audit/labels.py), in the active language.
    @property
    def actor_name(self) -> str:
        return labels.actor_name(self.actor_label, self.actor_id)

    @property
    def actor_words(self) -> str:
        """Who acted as the DPO's page names them: `actor_name`, else "account 2" in the reader's
        language (the page's own fallback, same message), so the export reads like the page."""
        name = self.actor_name
        if name or self.actor_id is None:
            return name
        return _("account %(id)s") % {"id": self.actor_id}

    @property
    def action_label(self) -> str:
        return labels.action_label(self.action)

    @property
    def category(self) -> str:
        return labels.action_category(self.action)

    @property
    def category_label(self) -> str:
        return labels.category_label(self.category)

    @property
    def object_label(self) -> str:
        return labels.object_label(self.object_type, self.object_id)

    @property
    def reason_label(self) -> str:
        return labels.reason_label(self.reason)


def _filtered(filters: AuditFilters) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if filters.person_id is not None:
        # Who opened the person, and who saw them in a list (one event per page: audit/lists.py).
        qs = qs.filter(Q(person_id=filters.person_id) | listed_q(filters.person_id))
    actor = filters.actor.strip()
    if actor:
        by_label = Q(actor_label=actor)
        actor_id = positive_id(actor)
        qs = qs.filter(by_label | Q(actor_id=actor_id)) if actor_id is not None else qs.filter(by_label)
    if filters.category:
        qs = qs.filter(action__in=labels.category_actions(filters.category))
    action = filters.action.strip()
    if action:
        qs = qs.filter(action__startswith=action) if action.endswith(".") else qs.filter(action=action)
    if filters.date_from is not None:
        qs = qs.filter(at__gte=day_start(filters.date_from))
    if filters.date_to is not None:
        qs = qs.filter(at__lt=day_end(filters.date_to))
    return qs


def _row(event: AuditEvent) -> AuditRow:
    return AuditRow(
        id=event.pk, at=event.at, actor_id=event.actor_id, actor_label=event.actor_label, action=event.action,
        object_type=event.object_type, object_id=event.object_id, person_id=event.person_id,
        reason=event.reason, ip=event.ip,
        people_listed=event.data.get("count") if event.action.startswith("list.") and isinstance(event.data, dict) else None,
    )


_COLUMNS = (
    "id", "at", "actor_id", "actor_label", "action", "object_type", "object_id", "person_id", "reason", "ip", "data",
)


def audit_events_search(
    *, user: Any, filters: AuditFilters, before: int | None = None, limit: int | None = None
) -> list[AuditRow]:
    """One page of matching events, newest first; `before` is the id the previous page ended at
    (keyset pagination: the same cost on page 1 and page 10,000). DPO only, else PermissionDenied."""
    if not may_read_audit(user):
        raise PermissionDenied
    qs = _filtered(filters)
    if before is not None:
        qs = qs.filter(id__lt=before)
    return [_row(e) for e in qs.order_by("-id").only(*_COLUMNS)[: limit or PAGE]]


def audit_events_all(*, user: Any, filters: AuditFilters, batch: int = 2000) -> Iterator[AuditRow]:
    """Every matching event, oldest first, read in keyset batches (for an inspection export)."""
    if not may_read_audit(user):
        raise PermissionDenied
    qs = _filtered(filters).order_by("id").only(*_COLUMNS)
    last = 0
    while True:
        rows = list(qs.filter(id__gt=last)[:batch])
        if not rows:
            return
        for event in rows:
            yield _row(event)
        last = rows[-1].pk


@dataclass(frozen=True)
class AuditExport:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


EXPORT_FORMATS = ("csv", "xlsx")
# A worksheet holds 1,048,576 rows, the header one of them: Excel refuses a longer sheet.
XLSX_MAX_ROWS = 1_048_575


def audit_export_max_rows(fmt: str) -> int:
    """The most events one export may hold: it is built while the request waits (CSV streamed,
    XLSX whole in memory — ~2 ms of CPU per row), so it is bounded like an official's streamed
    export (EXPORT_STREAM_MAX_ROWS), and never past what a spreadsheet opens."""
    limit = settings.EXPORT_STREAM_MAX_ROWS
    return min(limit, XLSX_MAX_ROWS) if fmt == "xlsx" else limit


def _export_size_check(filters: AuditFilters, fmt: str) -> None:
    limit = audit_export_max_rows(fmt)
    # One count that stops at limit + 1 (SELECT count(*) FROM (… LIMIT n)), whatever the trail's size.
    if _filtered(filters)[: limit + 1].count() > limit:
        raise ServiceError(
            _(
                "More than %(limit)s events match these filters, and one export holds at most %(limit)s. "
                "Narrow the search — a shorter period, one category or action, one person or one actor — "
                "and export again."
            ) % {"limit": number_format(limit, force_grouping=True)},
            code="export_too_large",
        )


def audit_trail_export(*, actor: Any, filters: AuditFilters, fmt: str, ip: str = "") -> AuditExport:
    """The filtered trail as CSV or XLSX for an inspection; the export itself is audited.

    Only a data-protection officer may export (PermissionDenied otherwise); cells are
    neutralised against spreadsheet formulas. The audit event names the filters, not the rows.
    More events than `audit_export_max_rows` is refused (ServiceError "export_too_large", 400)
    before anything is read: the DPO narrows the filters.
    """
    if not may_read_audit(actor):
        raise PermissionDenied
    if fmt not in EXPORT_FORMATS:
        raise ServiceError(_("Choose CSV or XLSX."), fields={"format": _("Choose CSV or XLSX.")})
    _export_size_check(filters, fmt)
    audit_record(actor=actor, action="audit.export", ip=ip, data={"format": fmt, "filters": filters.as_data()})
    # Words first, then the codes beside them (an inspector reads the one, a script the other).
    header = [
        _("Event"), _("Time"), _("Actor"), _("Actor account"), _("What"), _("Action category"), _("Object"),
        _("Person"), _("Reason"), _("Action code"), _("Object type"), _("Object id"), _("Reason code"), _("IP address"),
    ]
    rows = (
        (
            r.id, r.at, r.actor_words, r.actor_id, r.action_label, r.category_label, r.object_label, r.person_id,
            r.reason_label, r.action, r.object_type, r.object_id, r.reason, r.ip,
        )
        for r in audit_events_all(user=actor, filters=filters)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        return AuditExport(f"audit-trail-{stamp}.csv", "text/csv; charset=utf-8", csv_stream(header, rows))
    data = xlsx_bytes(header, rows, title=_("Audit trail"))
    return AuditExport(
        f"audit-trail-{stamp}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", chunks(data)
    )
