"""The data-protection officer's list of data-subject requests (issue 17, major 6).

Decree 13/2023/NĐ-CP gives a data subject's request (to see, export, correct, restrict or erase
their data, or to withdraw consent) 72 hours for an answer. The requests are not a table of
their own: each is already recorded where it is carried out, and this module reads them from
there, so the list can never disagree with what was done —

- an **erasure** or a **consent withdrawal** is an `Erasure` row (reason `request` or
  `consent_withdrawn`), one per person, pending until the background erasure has run;
- a **download** of one's data ("My data", the household's) is answered at once, and its only
  record is its audit event (`privacy.export`, `household.export`).

Who asked is named as the audit trail names people: the requesting account's number, with the
phone masked (`+849•••••678`) so that the officer can recognise a caller; never a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khaibao.accounts.models import Account
from khaibao.accounts.phones import mask_phone
from khaibao.audit.models import AuditEvent
from khaibao.privacy.audit_trail import may_read_audit
from khaibao.privacy.models import Erasure, ErasureReason, ErasureStatus

# Decree 13/2023/NĐ-CP: a data subject's request is answered within 72 hours.
ANSWER_WITHIN = timedelta(hours=72)
LIMIT = 200

KINDS: dict[str, Promise] = {
    "export": gettext_lazy("Download of their data"),
    "erasure": gettext_lazy("Erasure of their data"),
    "consent_withdrawal": gettext_lazy("Consent withdrawal"),
}
STATUSES: dict[str, Promise] = {
    "in_progress": gettext_lazy("In progress"),
    "done": gettext_lazy("Done"),
}
_EXPORT_ACTIONS = {"privacy.export": gettext_lazy("“My data”"), "household.export": gettext_lazy("household")}
_ERASURE_KINDS = {ErasureReason.REQUEST: "erasure", ErasureReason.CONSENT_WITHDRAWN: "consent_withdrawal"}


def may_read_requests(user: Any) -> bool:
    """The data-protection officer's list, as the audit trail is theirs (`AUDIT_READER_ROLES`)."""
    return may_read_audit(user)


@dataclass(frozen=True)
class SubjectRequest:
    ref: str  # "erasure-12", "audit-345": where the request is recorded
    kind: str
    detail: str
    requester_id: int | None
    requester_label: str
    person_ids: tuple[int, ...]
    received_at: datetime
    status: str
    completed_at: datetime | None

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def status_label(self) -> str:
        return str(STATUSES[self.status])

    @property
    def due_at(self) -> datetime:
        return self.received_at + ANSWER_WITHIN

    @property
    def overdue(self) -> bool:
        """Answered late, or still open past the 72 hours."""
        end = self.completed_at or timezone.now()
        return end > self.due_at


@dataclass(frozen=True)
class RequestFilters:
    kind: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _account_labels(ids: set[int]) -> dict[int, str]:
    labels: dict[int, str] = {}
    for account in Account.objects.filter(pk__in=ids).only("pk", "phone", "username", "role"):
        phone = account.phone if account.role == "citizen" else ""
        labels[account.pk] = (
            _("Account %(id)s · %(phone)s") % {"id": account.pk, "phone": mask_phone(phone)}
            if phone else _("Account %(id)s") % {"id": account.pk}
        )
    return labels


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def subject_requests(*, user: Any, filters: RequestFilters | None = None) -> list[SubjectRequest]:
    """The data-subject requests received, newest first (at most LIMIT), each with its due time
    (received + 72 h) and status. Data-protection officer only, else PermissionDenied."""
    if not may_read_requests(user):
        raise PermissionDenied
    filters = filters or RequestFilters()
    erasures = Erasure.objects.only(
        "pk", "person_id", "reason", "status", "requested_by_id", "requested_at", "finished_at"
    ).order_by("-requested_at")
    events = AuditEvent.objects.filter(action__in=list(_EXPORT_ACTIONS)).only(
        "pk", "action", "actor_id", "actor_label", "at", "data"
    ).order_by("-at")
    if filters.date_from is not None:
        erasures = erasures.filter(requested_at__gte=_midnight(filters.date_from))
        events = events.filter(at__gte=_midnight(filters.date_from))
    if filters.date_to is not None:
        end = _midnight(filters.date_to + timedelta(days=1))
        erasures, events = erasures.filter(requested_at__lt=end), events.filter(at__lt=end)
    if filters.kind:
        wanted = [reason for reason, kind in _ERASURE_KINDS.items() if kind == filters.kind]
        erasures = erasures.filter(reason__in=wanted)
        if filters.kind != "export":
            events = events.none()
    if filters.status == "in_progress":
        erasures, events = erasures.filter(status=ErasureStatus.PENDING), events.none()
    elif filters.status == "done":
        erasures = erasures.filter(status=ErasureStatus.DONE)
    erasure_rows, event_rows = list(erasures[:LIMIT]), list(events[:LIMIT])
    names = _account_labels(
        {e.requested_by_id for e in erasure_rows if e.requested_by_id}
        | {e.actor_id for e in event_rows if e.actor_id}
    )
    rows = [
        SubjectRequest(
            ref=f"erasure-{e.pk}", kind=_ERASURE_KINDS[ErasureReason(e.reason)], detail="",
            requester_id=e.requested_by_id,
            requester_label=names.get(e.requested_by_id or 0, _("Account closed")),
            person_ids=(e.person_id,), received_at=e.requested_at,
            status="done" if e.status == ErasureStatus.DONE else "in_progress", completed_at=e.finished_at,
        )
        for e in erasure_rows
    ]
    rows += [
        SubjectRequest(
            ref=f"audit-{e.pk}", kind="export", detail=str(_EXPORT_ACTIONS[e.action]), requester_id=e.actor_id,
            requester_label=names.get(e.actor_id or 0, _("Account closed")),
            person_ids=tuple(int(p) for p in (e.data or {}).get("person_ids", []) if str(p).isdigit()),
            received_at=e.at, status="done", completed_at=e.at,
        )
        for e in event_rows
    ]
    rows.sort(key=lambda r: r.received_at, reverse=True)
    return rows[:LIMIT]
