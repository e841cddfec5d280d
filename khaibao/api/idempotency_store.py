"""Reads and writes of idempotency records for callers outside the API middleware.

The citizen pages' offline queue (khaibao/web/submissions.py) replays form posts with a
submission key; it keeps its records in the same table as the API's `Idempotency-Key`, under
its own owner prefix, so one expiry rule and one purge cover both.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from khaibao.api.models import IdempotencyRecord


def idempotency_record_live(*, owner: str, key: str) -> IdempotencyRecord | None:
    """The record for (owner, key) if it is younger than IDEMPOTENCY_KEY_TTL_HOURS; an older one is deleted."""
    record = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
    if record is not None and record.created_at < timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS):
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return None
    return record


def idempotency_record_store(
    *, owner: str, key: str, method: str, path: str, request_hash: str, status_code: int, content_type: str, body: bytes
) -> IdempotencyRecord:
    """Store the answer to a first request. Raises IntegrityError when a concurrent request stored it first,
    so the caller's transaction (and the write it guards) rolls back."""
    return IdempotencyRecord.objects.create(
        owner=owner,
        key=key,
        method=method,
        path=path[:500],
        request_hash=request_hash,
        status_code=status_code,
        content_type=content_type,
        body=body,
    )
