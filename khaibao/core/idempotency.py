"""The one store of idempotency records and their one expiry rule.

Two callers replay a create once it succeeded: the API's `Idempotency-Key` middleware
(khaibao/api/idempotency.py) and the citizen forms' submission key (khaibao/core/submissions.py).
Both keep their records in `IdempotencyRecord` under an owner of their own (`account:<id>`,
`anon:<hash>`, `web:<id>`), read them with `idempotency_record_live` and write them with
`idempotency_record_store`. A record lives IDEMPOTENCY_KEY_TTL_HOURS: past that its key is free
again (clients retry for minutes, not days) and the retention job deletes it
(khaibao/privacy/retention.py, the one purge).

The read and the insert run on every create request of the API (declarations in the morning
rush): they are precompiled statements (core/rowsql), which answer as the ORM would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from khaibao.core import rowsql
from khaibao.core.models import IdempotencyRecord

_BY_OWNER_KEY: Final = 'owner = %s AND "key" = %s'


def idempotency_cutoff(now: datetime) -> datetime:
    """Records created before this moment have expired."""
    return now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def idempotency_record_live(*, owner: str, key: str) -> IdempotencyRecord | None:
    """The record for (owner, key) while it lives; an expired one is deleted and None returned."""
    record = rowsql.fetch(IdempotencyRecord, _BY_OWNER_KEY, [owner, key])
    if record is not None and record.created_at < idempotency_cutoff(timezone.now()):
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return None
    return record


def idempotency_record_store(
    *, owner: str, key: str, method: str, path: str, request_hash: str, status_code: int, content_type: str, body: bytes
) -> IdempotencyRecord:
    """Store the answer to a first request. Raises IntegrityError when a concurrent request stored it first,
    so the caller's transaction (and the write it guards) rolls back."""
    return rowsql.create(IdempotencyRecord(
        owner=owner,
        key=key,
        method=method,
        path=path[:500],
        request_hash=request_hash,
        status_code=status_code,
        content_type=content_type,
        body=body,
    ))


def idempotency_record_forget(record: IdempotencyRecord) -> None:
    """Delete one stored answer now (before its expiry)."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def account_owners(account_id: int) -> list[str]:
    """Every owner under which `account_id`'s records are kept (API and citizen pages)."""
    return [f"account:{account_id}", f"web:{account_id}"]


def idempotency_records_expired(now: datetime) -> Q:
    """The filter for records past their lifetime (the retention job deletes them)."""
    return Q(created_at__lt=idempotency_cutoff(now))


def idempotency_records_forget(*, account_id: int) -> int:
    """Delete every stored answer replayed for `account_id` (it may hold a name or a phone)."""
    return IdempotencyRecord.objects.filter(owner__in=account_owners(account_id)).delete()[0]
