"""The hourly prune of inbound messages deletes in bounded batches, each its own statement
(review "scale" #11: one DELETE of everything due, over an unindexed column)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.smsin.models import InboundSms
from khaibao.smsin.services import inbound_sms_prune


def _message(n: int, age_days: int) -> None:
    InboundSms.objects.create(
        message_id=f"gw-{n}", phone="+84900000000", phone_index=f"idx-{n}", command="daily_update",
        outcome="recorded", created_at=timezone.now() - timedelta(days=age_days),
    )


def test_it_prunes_in_batches_of_the_retention_size(db: Any, settings: Any) -> None:
    settings.SMS_INBOUND_KEEP_DAYS = 30
    settings.RETENTION_BATCH_SIZE = 2
    for n in range(5):
        _message(n, 31 + n)
    _message(99, 1)

    with CaptureQueriesContext(connection) as ctx:
        assert inbound_sms_prune() == 5

    deletes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('DELETE FROM "smsin_inboundsms"')]
    assert len(deletes) == 3  # 2 + 2 + 1
    for sql in deletes:
        ids = re.search(r"IN \(([^)]*)\)", sql)
        assert ids is not None, sql
        assert len(ids.group(1).split(",")) <= 2, sql
    assert list(InboundSms.objects.values_list("message_id", flat=True)) == ["gw-99"]


def test_it_has_an_index_for_the_prune(db: Any) -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "smsin_inboundsms")
    assert ["created_at"] in [c["columns"] for c in constraints.values() if c["index"]]
