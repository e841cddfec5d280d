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
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khaibao.accounts.models import Account
from khaibao.accounts.phones import mask_phone
from khaibao.audit.models import AuditEvent
from khaibao.core.days import day_end, day_start
from khaibao.core.keyset import KeysetPage, cursor_refused, keyset_cursor, keyset_page
from khaibao.core.params import dates_in_range
from khaibao.privacy.audit_trail import may_read_audit
from khaibao.privacy.models import Erasure, ErasureReason, ErasureStatus

# Decree 13/2023/NĐ-CP: a data subject's request is answered within 72 hours.
ANSWER_WITHIN = timedelta(hours=72)
LIMIT = 200
M = TypeVar("M", bound=models.Model)

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

    def __post_init__(self) -> None:
        # Whoever builds the filters (API, console), a date out of range is refused here, before
        # year 1 at local midnight overflows in the query (core.params).
        dates_in_range(date_from=self.date_from, date_to=self.date_to)


def _account_labels(ids: set[int]) -> dict[int, str]:
    labels: dict[int, str] = {}
    for account in Account.objects.filter(pk__in=ids).only("pk", "phone", "username", "role"):
        phone = account.phone if account.role == "citizen" else ""
        labels[account.pk] = (
            _("Account %(id)s · %(phone)s") % {"id": account.pk, "phone": mask_phone(phone)}
            if phone else _("Account %(id)s") % {"id": account.pk}
        )
    return labels


def subject_requests(*, user: Any, filters: RequestFilters | None = None) -> list[SubjectRequest]:
    """The data-subject requests received, newest first (at most LIMIT: the first page of
    `subject_requests_page`). Data-protection officer only, else PermissionDenied."""
    return subject_requests_page(user=user, filters=filters, limit=LIMIT, count=False).items


# A page's cursor holds one keyset cursor per source (core/keyset.py), erasures then audit events,
# joined by "." (never in a keyset cursor): "" for a source read from its start, "~" for one read
# to its end.
_CURSOR_JOIN, _SOURCE_DONE = ".", "~"


def subject_requests_page(
    *, user: Any, filters: RequestFilters | None = None, cursor: str | None = None, limit: int = LIMIT,
    count: bool = True,
) -> KeysetPage[Any]:
    """The data-subject requests received (`SubjectRequest` items), newest first, each with its
    due time (received + 72 h) and status: a keyset page of `limit` after `cursor` (the previous
    page's `next_cursor`; a damaged one is a ServiceError on "cursor"), and how many there are in
    all with these filters (`count`: the two sources' COUNTs, None without). Data-protection officer
    only, else PermissionDenied."""
    if not may_read_requests(user):
        raise PermissionDenied
    filters = filters or RequestFilters()
    erasures = Erasure.objects.only(
        "pk", "person_id", "reason", "status", "requested_by_id", "requested_at", "finished_at"
    ).order_by("-requested_at", "-pk")
    events = AuditEvent.objects.filter(action__in=list(_EXPORT_ACTIONS)).only(
        "pk", "action", "actor_id", "actor_label", "at", "data"
    ).order_by("-at", "-pk")
    if filters.date_from is not None:
        erasures = erasures.filter(requested_at__gte=day_start(filters.date_from))
        events = events.filter(at__gte=day_start(filters.date_from))
    if filters.date_to is not None:
        end = day_end(filters.date_to)
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
    limit = max(1, int(limit))
    erasure_cursor, event_cursor = _split_cursor(cursor)
    total = erasures.order_by().count() + events.order_by().count() if count else None
    erasure_page = _source_page(erasures, erasure_cursor, limit)
    event_page = _source_page(events, event_cursor, limit)
    # Newest first across both sources: the page is the newest `limit` of the two sources' pages.
    both: list[Erasure | AuditEvent] = [*erasure_page.items, *event_page.items]
    merged = sorted(both, key=_received_key, reverse=True)[:limit]
    erasure_rows = [e for e in merged if isinstance(e, Erasure)]
    event_rows = [e for e in merged if isinstance(e, AuditEvent)]
    names = _account_labels(
        {e.requested_by_id for e in erasure_rows if e.requested_by_id}
        | {e.actor_id for e in event_rows if e.actor_id}
    )
    rows = [_erasure_request(e, names) if isinstance(e, Erasure) else _download_request(e, names) for e in merged]
    next_erasures = _source_next(erasures, erasure_cursor, erasure_page, len(erasure_rows))
    next_events = _source_next(events, event_cursor, event_page, len(event_rows))
    done = next_erasures == next_events == _SOURCE_DONE
    return KeysetPage[Any](
        items=rows, next_cursor=None if done else _CURSOR_JOIN.join([next_erasures, next_events]), total=total
    )


def _received_key(e: Erasure | AuditEvent) -> tuple[datetime, int]:
    return (e.requested_at if isinstance(e, Erasure) else e.at, e.pk)


def _erasure_request(e: Erasure, names: dict[int, str]) -> SubjectRequest:
    return SubjectRequest(
        ref=f"erasure-{e.pk}", kind=_ERASURE_KINDS[ErasureReason(e.reason)], detail="",
        requester_id=e.requested_by_id,
        requester_label=names.get(e.requested_by_id or 0, _("Account closed")),
        person_ids=(e.person_id,), received_at=e.requested_at,
        status="done" if e.status == ErasureStatus.DONE else "in_progress", completed_at=e.finished_at,
    )


def _download_request(e: AuditEvent, names: dict[int, str]) -> SubjectRequest:
    return SubjectRequest(
        ref=f"audit-{e.pk}", kind="export", detail=str(_EXPORT_ACTIONS[e.action]), requester_id=e.actor_id,
        requester_label=names.get(e.actor_id or 0, _("Account closed")),
        person_ids=tuple(int(p) for p in (e.data or {}).get("person_ids", []) if str(p).isdigit()),
        received_at=e.at, status="done", completed_at=e.at,
    )


def _split_cursor(cursor: str | None) -> tuple[str, str]:
    if not cursor:
        return "", ""
    parts = cursor.split(_CURSOR_JOIN)
    if len(parts) != 2 or parts == [_SOURCE_DONE, _SOURCE_DONE]:
        raise cursor_refused()
    return parts[0], parts[1]


def _source_page(qs: QuerySet[M], cursor: str, limit: int) -> KeysetPage[M]:
    if cursor == _SOURCE_DONE:
        return KeysetPage(items=[], next_cursor=None)
    return keyset_page(qs, cursor=cursor or None, limit=limit)


def _source_next(qs: QuerySet[M], cursor: str, page: KeysetPage[M], shown: int) -> str:
    """Where the next page starts reading this source, after the `shown` first rows of `page`."""
    if cursor == _SOURCE_DONE:
        return _SOURCE_DONE
    if shown == len(page.items):
        return page.next_cursor or _SOURCE_DONE
    if shown == 0:
        return cursor
    return keyset_cursor(qs, page.items[shown - 1])  # rows follow it: the page had more
