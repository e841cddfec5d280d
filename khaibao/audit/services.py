"""Writing and verifying the audit trail."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from khaibao.audit.labels import check_action, object_type_of
from khaibao.audit.models import AuditChainAnchor, AuditEvent
from khaibao.core import rowsql

GENESIS_HASH = "0" * 64
# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises sealing the chain.
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

    The row is written unsealed (no hash yet): one INSERT, no lock, so audited writes do not
    queue behind each other. `audit_seal` (a periodic task) links it into the hash chain within
    seconds (docs/decisions/0005-audit-hash-chain.md).

    `data` must never hold health details or personal data in clear: ids and codes only.
    """
    # One precompiled INSERT: every audited write of the country passes here (core/rowsql).
    return rowsql.create(
        audit_event(actor=actor, action=action, obj=obj, person_id=person_id, reason=reason, ip=ip, data=data)
    )


def audit_event(
    *,
    actor: Any,
    action: str,
    obj: Any = None,
    person_id: int | None = None,
    reason: str = "",
    ip: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """The unsaved, unsealed event `audit_record` appends — for a service that writes it
    together with its change in one statement (rowsql.insert_statement).

    Raises `UnknownAuditCode` for an action or object type without a label in audit/labels.py:
    nothing reaches the trail that its reader cannot read.
    """
    check_action(action)
    account = actor if getattr(actor, "pk", None) else None
    return AuditEvent(
        at=timezone.now(),
        actor=account,
        actor_label=_actor_label(actor, account),
        action=action,
        object_type=object_type_of(obj) if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and getattr(obj, "pk", None) is not None else "",
        person_id=person_id,
        reason=reason[:300],
        ip=ip,
        data=data or {},
        prev_hash="",
        hash=None,
    )


@dataclass(frozen=True)
class SealReport:
    sealed: int
    # Rows left for a later run: committed after the bound of this run, or the run could not
    # wait for older transactions to end (see `_sealable_bound`).
    waiting: int


def _sealable_bound(*, wait: float) -> int | None:
    """The highest id up to which every audit row that will ever commit is already visible.

    On PostgreSQL ids come from a sequence when the row is inserted, and transactions commit
    in any order: a row with a lower id can become visible after a higher one. Take the highest
    visible id S, then the time T; every row with an id at most S had its id drawn before T, by
    a transaction that started before T. Once no transaction that started before T is still
    running, each such row is committed (and visible now) or rolled back (never will be), so
    rows up to S can be chained in id order without leaving one behind. Waits up to `wait`
    seconds for those transactions to end, else returns None (nothing is sealed this run).
    On SQLite writes are serialised and ids are given in commit order: no wait is needed.
    """
    bound = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    if bound is None or connection.vendor != "postgresql":
        return bound
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        (since,) = cursor.fetchone()
        deadline = time.monotonic() + wait
        while True:
            # The sealer's own transaction (e.g. a test's) is not one of the writers waited for.
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start < %s",
                [since],
            )
            (older,) = cursor.fetchone()
            if not older:
                return bound
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.02)


def audit_seal(*, batch: int = 5000, wait: float = 5.0, budget_seconds: float | None = None) -> SealReport:
    """Link the unsealed audit rows into the hash chain, in id order, under the chain lock.

    Runs every few seconds (settings.PERIODIC_TASKS, `manage.py seal_audit`). Batch after batch
    until nothing sealable is left or `budget_seconds` is spent (None: no limit), each batch one
    transaction of at most `batch` rows — so a backlog never holds the chain lock or the worker's
    memory for long, and is worked off: under a rush every acknowledged daily update appends an
    event and its assessment another, more than one batch of 5,000 every 10 s could seal
    (bench/RESULTS.md, "Issue 19: the sixth pass"). Each batch seals only rows below the bound
    `_sealable_bound` proves final, so a row committed late (a lower id than one already visible)
    is never skipped: the chain has no holes.
    """
    started = time.monotonic()
    sealed = 0
    while True:
        linked = _seal_batch(batch=batch, wait=wait)
        sealed += linked
        if linked < batch or (budget_seconds is not None and time.monotonic() - started >= budget_seconds):
            return SealReport(sealed=sealed, waiting=AuditEvent.objects.filter(hash__isnull=True).count())


def _seal_batch(*, batch: int, wait: float) -> int:
    """One transaction of `audit_seal`: up to `batch` rows linked; how many."""
    bound = _sealable_bound(wait=wait)
    if bound is None:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
        head = AuditEvent.objects.filter(hash__isnull=False).order_by("-id").values_list("id", "hash").first()
        if head is None:
            head = audit_chain_anchor() or (0, GENESIS_HASH)
        head_id, prev = head[0], str(head[1])
        rows = list(AuditEvent.objects.filter(id__gt=head_id, id__lte=bound, hash__isnull=True).order_by("id")[:batch])
        for event in rows:
            event.prev_hash = prev
            prev = _hash(event)
            event.hash = prev
        # One UPDATE per row, pipelined (rowsql.update_many): bulk_update's CASE WHEN of 1,000
        # branches cost 0.61 ms of CPU per row, ten times this (bench/RESULTS.md, "Issue 19: the
        # sixth pass").
        rowsql.update_many(rows, ["prev_hash", "hash"])
    return len(rows)


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
    # Rows appended but not linked into the chain yet (audit_seal runs every few seconds).
    unsealed: int = 0


def audit_verify(*, batch: int = 2000) -> ChainReport:
    """Walk the whole sealed chain; report the first row whose hash or link does not match.

    Rows after the last sealed one that are still unsealed are counted (`unsealed`), not
    checked: `audit_seal` links them soon. An unsealed row below a sealed one cannot come from
    `audit_record` (the sealer never leaves one behind) and is reported as a break.

    Retention removes the oldest rows (RETENTION_AUDIT_DAYS): the chain then starts after the
    anchor the retention job left, whose hash the first remaining row must link to.
    """
    last_id, prev = audit_chain_anchor() or (0, GENESIS_HASH)
    head = AuditEvent.objects.filter(hash__isnull=False).order_by("-id").values_list("id", flat=True).first() or 0
    checked = 0
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id, id__lte=head).order_by("id")[:batch])
        if not rows:
            return ChainReport(
                checked=checked, ok=True, last_id=last_id or None, last_hash=prev if checked else "",
                unsealed=AuditEvent.objects.filter(id__gt=head, hash__isnull=True).count(),
            )
        for event in rows:
            if event.hash is None:
                return ChainReport(
                    checked, False, event.id, event.at,
                    "it was never sealed into the chain although later rows were (inserted afterwards)",
                )
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


def audit_chain_anchor() -> tuple[int, str] | None:
    """(id, hash) of the last audit event retention removed, or None if none ever was."""
    row = AuditChainAnchor.objects.filter(pk=1).values_list("last_id", "last_hash").first()
    return (int(row[0]), str(row[1])) if row else None


def audit_events_prunable(now: datetime) -> QuerySet[AuditEvent]:
    """Events past RETENTION_AUDIT_DAYS that retention may remove: only rows already sealed into
    the hash chain, as the anchor left behind is a sealed row's hash."""
    return AuditEvent.objects.filter(at__lt=now - timedelta(days=settings.RETENTION_AUDIT_DAYS), hash__isnull=False)


def audit_prune(ids: list[int], now: datetime) -> int:
    """Remove the events up to the newest of `ids` (a batch of `audit_events_prunable`) and move the
    anchor to it, so the chain that remains still verifies. Returns the rows removed."""
    # Only a prefix of the chain may go, or the remaining chain would have a hole in it.
    last = AuditEvent.objects.filter(pk__in=ids).order_by("-id").values_list("id", "hash").first()
    if last is None:
        return 0
    older = AuditEvent.objects.filter(id__lte=last[0])
    if older.filter(at__gte=now - timedelta(days=settings.RETENTION_AUDIT_DAYS)).exists():
        return 0
    n: int = older.delete()[0]
    anchor = AuditChainAnchor.objects.filter(pk=1).first()
    AuditChainAnchor.objects.update_or_create(
        pk=1,
        defaults={
            "last_id": last[0], "last_hash": last[1], "pruned_at": now,
            "pruned_rows": (anchor.pruned_rows if anchor else 0) + n,
        },
    )
    return n


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
