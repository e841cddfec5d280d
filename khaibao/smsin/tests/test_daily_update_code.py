"""What an SMS daily update leaves in clear: one code whether the person is well or unwell.

"OK" and "SOT HO" must not be told apart by the message row's `command` nor by its `sms.inbound`
audit event — that would say who was unwell on which day, which the sealed daily update hides.
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.db import connection
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.monitoring.models import DailyUpdate
from khaibao.smsin.models import InboundSms
from khaibao.smsin.tests.helpers import REGISTER, Gateway

collapse_migration = importlib.import_module("khaibao.smsin.migrations.0003_daily_update_command")


def test_it_records_a_well_and_an_unwell_update_alike(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    yesterday = (timezone.localtime() - timedelta(days=1)).isoformat()
    well = gateway.post("OK", message_id="gw-well", received_at=yesterday)
    unwell = gateway.post("SOT HO", message_id="gw-unwell")

    assert well.json() == {"message_id": "gw-well", "command": "daily_update", "outcome": "daily_update"}
    assert unwell.json() == {"message_id": "gw-unwell", "command": "daily_update", "outcome": "daily_update"}
    assert DailyUpdate.objects.count() == 2  # both acted on: yesterday's well, today's unwell
    events = AuditEvent.objects.filter(action="sms.inbound").order_by("pk")
    assert [e.data for e in events][1:] == [{"command": "daily_update", "outcome": "daily_update"}] * 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT message_id, command, outcome FROM smsin_inboundsms ORDER BY id")
        rows = cursor.fetchall()
    assert rows[1:] == [("gw-well", "daily_update", "daily_update"), ("gw-unwell", "daily_update", "daily_update")]
    # The detail stays in the encrypted text only.
    assert InboundSms.objects.get(message_id="gw-unwell").text == "SOT HO"


def test_the_migration_rewrites_the_rows_written_before(world: Any, monkeypatch: Any) -> None:
    old = {"a": "ok", "b": "symptoms", "c": "status", "d": "ok", "e": "register"}
    for message_id, command in old.items():
        InboundSms.objects.create(message_id=message_id, phone="+84911000001", phone_index="x", command=command,
                                  outcome="daily_update" if command in ("ok", "symptoms") else command)
    monkeypatch.setattr(collapse_migration, "BATCH", 2)  # several keyset batches

    collapse_migration.collapse(apps, SimpleNamespace(connection=connection))

    assert dict(InboundSms.objects.values_list("message_id", "command")) == {
        "a": "daily_update", "b": "daily_update", "c": "status", "d": "daily_update", "e": "register",
    }
