"""Sealing never skips a row that commits after a row with a higher id (PostgreSQL sequences)."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections, transaction

from khaibao.audit.models import AuditEvent
from khaibao.audit.services import GENESIS_HASH, audit_record


def seal(*args: str) -> str:
    out = StringIO()
    call_command("seal_audit", *args, stdout=out)
    return out.getvalue()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_waits_for_a_row_committed_late_and_then_chains_it_in_id_order():
    inserted, release = threading.Event(), threading.Event()
    ids: list[int] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                ids.append(audit_record(actor="slow", action="audit.export").pk)
                inserted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert inserted.wait(timeout=10)
        fast = audit_record(actor="fast", action="audit.export")  # committed at once, higher id
        assert fast.pk > ids[0]

        # The slow transaction started before this run and is still open: nothing is sealed,
        # or the fast row would be chained with the slow one's id left behind for ever.
        assert "Sealed 0 audit events; 1 waiting." in seal("--wait", "0.3")
        assert AuditEvent.objects.get(pk=fast.pk).hash is None
    finally:
        release.set()
        writer.join(timeout=30)

    assert "Sealed 2 audit events; 0 waiting." in seal()
    slow, fast = AuditEvent.objects.get(pk=ids[0]), AuditEvent.objects.get(pk=fast.pk)
    assert slow.prev_hash == GENESIS_HASH
    assert fast.prev_hash == slow.hash
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "Audit chain intact: 2 events." in out.getvalue()
