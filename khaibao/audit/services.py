"""Writing and verifying the audit trail."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.core.errors import ServiceError

GENESIS_HASH = "0" * 64
# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_ID = 0x6B6861_69_62616F


def _canonical(event: AuditEvent) -> str:
    body = {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "person_id": event.person_id,
        "reason": event.reason,
        "ip": event.ip,
        "data": event.data,
        "prev": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event).encode()).hexdigest()


def _actor_label(actor: Any, account: Any) -> str:
    # A citizen's display name is personal data and this table can never be edited: accounts
    # are named by username (staff) or id only.
    if account is not None:
        return str(getattr(account, "username", None) or f"account {account.pk}")[:150]
    return str(actor or "system")[:150]


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    person_id: int | None = None,
    reason: str = "",
    ip: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event. Call it inside the service's transaction so it commits with the change.

    `data` must never hold health details or personal data in clear: ids and codes only.
    """
    # Inside the caller's transaction (the normal case) no savepoint is needed: a failure here
    # fails the whole service anyway; that saves two round trips per write on the hot path.
    with nullcontext() if connection.in_atomic_block else transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
        # On SQLite the IMMEDIATE transaction mode already holds the write lock here.
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        account = actor if getattr(actor, "pk", None) else None
        event = AuditEvent(
            at=timezone.now(),
            actor=account,
            actor_label=_actor_label(actor, account),
            action=action,
            object_type=type(obj).__name__ if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and getattr(obj, "pk", None) is not None else "",
            person_id=person_id,
            reason=reason[:300],
            ip=ip,
            data=data or {},
            prev_hash=last or GENESIS_HASH,
        )
        event.hash = _hash(event)
        event.save()
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    broken_at: int | None = None
    broken_at_time: datetime | None = None
    problem: str = ""
    # The newest row of an intact chain: what an external anchor records.
    last_id: int | None = None
    last_hash: str = ""


def audit_verify(*, batch: int = 2000) -> ChainReport:
    """Walk the whole chain; report the first row whose hash or link does not match.

    Retention removes the oldest rows (RETENTION_AUDIT_DAYS): the chain then starts after the
    anchor the retention job left, whose hash the first remaining row must link to.
    """
    from khaibao.privacy.selectors import audit_chain_anchor  # privacy builds on audit

    last_id, prev = audit_chain_anchor() or (0, GENESIS_HASH)
    checked = 0
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            return ChainReport(checked=checked, ok=True, last_id=last_id or None, last_hash=prev if checked else "")
        for event in rows:
            if event.prev_hash != prev:
                return ChainReport(
                    checked, False, event.id, event.at,
                    "its link to the previous row is broken (a row before it was deleted or rewritten)",
                )
            if _hash(event) != event.hash:
                return ChainReport(checked, False, event.id, event.at, "its content does not match its hash (edited)")
            prev = event.hash
            checked += 1
            last_id = event.id


def audit_anchor_check(*, anchor_id: int, anchor_hash: str) -> str:
    """Compare an externally kept (id, hash) of an earlier chain head with the database.

    The chain itself cannot notice that its newest rows were cut off; a copy of a past head kept
    outside the database can. Returns "" when the anchored row is still there unchanged.
    """
    row = AuditEvent.objects.filter(id=anchor_id).values_list("hash", flat=True).first()
    if row is None:
        return f"the anchored event {anchor_id} is missing: the trail was truncated"
    if row != anchor_hash:
        return f"the anchored event {anchor_id} no longer has the anchored hash"
    return ""


@dataclass(frozen=True)
class AuditExport:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


EXPORT_FORMATS = ("csv", "xlsx")


def audit_trail_export(*, actor: Any, filters: Any, fmt: str, ip: str = "") -> AuditExport:
    """The filtered trail as CSV or XLSX for an inspection; the export itself is audited.

    Only a data-protection officer may export (PermissionDenied otherwise); cells are
    neutralised against spreadsheet formulas. The audit event names the filters, not the rows.
    """
    # Imported here: the selectors build on accounts, which build on this module.
    from django.utils.translation import gettext as _

    from khaibao.audit.selectors import audit_events_all, may_read_audit
    from khaibao.exports.writers import chunks, csv_stream, xlsx_bytes

    if not may_read_audit(actor):
        raise PermissionDenied
    if fmt not in EXPORT_FORMATS:
        raise ServiceError(_("Choose CSV or XLSX."), fields={"format": _("Choose CSV or XLSX.")})
    audit_record(actor=actor, action="audit.export", ip=ip, data={"format": fmt, "filters": filters.as_data()})
    header = [
        _("Event"), _("Time"), _("Actor"), _("Actor account"), _("Action"), _("Object"), _("Object id"),
        _("Person"), _("Reason"), _("IP address"),
    ]
    rows = (
        (r.id, r.at, r.actor_label, r.actor_id, r.action, r.object_type, r.object_id, r.person_id, r.reason, r.ip)
        for r in audit_events_all(user=actor, filters=filters)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        return AuditExport(f"audit-trail-{stamp}.csv", "text/csv; charset=utf-8", csv_stream(header, rows))
    data = xlsx_bytes(header, rows, title=_("Audit trail"))
    return AuditExport(
        f"audit-trail-{stamp}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", chunks(data)
    )
