"""POST /sms/inbound: signature, timestamp, body limits, formats, idempotency on message_id."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.accounts.models import Account
from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.core.testing import at_once
from khaibao.monitoring.models import DailyUpdate
from khaibao.smsin.models import InboundSms
from khaibao.smsin.signing import sign
from khaibao.smsin.tasks import inbound_sms_prune
from khaibao.smsin.tests.helpers import REGISTER, SECRET, Gateway


def nothing_stored(gateway: Gateway) -> bool:
    return not InboundSms.objects.exists() and not gateway.outbox.messages() and not Account.objects.filter(
        phone_index=phone_index("+84911000001")
    ).exists()


def test_it_refuses_an_unsigned_request(world: Any, gateway: Gateway) -> None:
    resp = Client().post("/sms/inbound", {"from": "0911000001", "text": "TROGIUP", "message_id": "m1"})
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "signature_missing"
    assert nothing_stored(gateway)


def test_it_refuses_a_wrong_signature(world: Any, gateway: Gateway) -> None:
    resp = gateway.post("TROGIUP", secret="another-secret-0123456789abcdefghij")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "signature_invalid"
    resp = gateway.post("TROGIUP", signature="sha256=" + "0" * 64)
    assert resp.status_code == 403
    assert nothing_stored(gateway)


@pytest.mark.parametrize("skew", [-301, 301, -3600])
def test_it_refuses_a_stale_or_future_timestamp(world: Any, gateway: Gateway, skew: int) -> None:
    resp = gateway.post("TROGIUP", timestamp=int(time.time()) + skew)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "signature_expired"
    assert nothing_stored(gateway)


def test_it_accepts_a_timestamp_within_five_minutes(world: Any, gateway: Gateway) -> None:
    assert gateway.post("TROGIUP", timestamp=int(time.time()) - 290).status_code == 200


def test_it_refuses_a_captured_body_sent_again_with_a_fresh_timestamp(world: Any, gateway: Gateway) -> None:
    body = b'{"from": "0911000001", "text": "TROGIUP", "message_id": "m1"}'
    old = int(time.time()) - 600
    resp = gateway.client.generic(
        "POST", "/sms/inbound", body, content_type="application/json",
        headers={"X-Timestamp": str(int(time.time())), "X-Signature": sign(body, old, SECRET)},
    )
    assert resp.status_code == 403
    assert nothing_stored(gateway)


def test_it_is_off_without_a_secret(world: Any, gateway: Gateway, settings: Any) -> None:
    settings.SMS_INBOUND_SECRET = ""
    resp = gateway.post("TROGIUP", secret="")
    assert resp.status_code == 503
    assert nothing_stored(gateway)


def test_it_refuses_an_oversized_body_before_reading_it(world: Any, gateway: Gateway, settings: Any) -> None:
    settings.SMS_INBOUND_MAX_BODY_BYTES = 200
    resp = gateway.post("SOT " * 60)
    assert resp.status_code == 413
    assert nothing_stored(gateway)


def test_it_needs_no_csrf_token_and_reads_form_bodies(world: Any, gateway: Gateway) -> None:
    resp = gateway.post("TROGIUP", form=True, message_id="form-1")
    assert resp.status_code == 200
    assert resp.json() == {"message_id": "form-1", "command": "help", "outcome": "help"}
    assert len(gateway.replies()) == 1


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"from": "12345", "text": "OK", "message_id": "x"}, "from"),
        ({"from": "0911000001", "text": "OK", "message_id": ""}, "message_id"),
        ({"from": "0911000001", "text": "OK"}, "message_id"),
        ({"from": "0911000001", "text": 5, "message_id": "x"}, "text"),
        ({"from": "0911000001", "text": "OK", "message_id": "x", "received_at": "yesterday"}, "received_at"),
    ],
)
def test_it_refuses_bad_fields_and_stores_nothing(world: Any, gateway: Gateway, fields: dict[str, Any], bad: str) -> None:
    body = json.dumps(fields).encode()
    ts = int(time.time())
    resp = gateway.client.generic(
        "POST", "/sms/inbound", body, content_type="application/json",
        headers={"X-Timestamp": str(ts), "X-Signature": sign(body, ts, SECRET)},
    )
    assert resp.status_code == 400
    assert bad in resp.json()["error"]["fields"]
    assert nothing_stored(gateway)


def test_it_processes_a_replayed_message_once(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    first = gateway.post("SOT HO", message_id="gw-replay")
    again = gateway.post("SOT HO", message_id="gw-replay")

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"message_id": "gw-replay", "command": "daily_update", "outcome": "daily_update"}
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert InboundSms.objects.filter(message_id="gw-replay").count() == 1
    assert DailyUpdate.objects.count() == 1
    assert len(gateway.replies()) == 2  # the registration's and one for the update
    assert AuditEvent.objects.filter(action="daily_update.create").count() == 1


def test_it_keeps_the_message_text_out_of_the_audit_trail(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    event = AuditEvent.objects.get(action="sms.inbound")
    assert event.data == {"command": "register", "outcome": "registered"}
    assert "001090012345" not in str(event.__dict__)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_processes_a_message_once_when_deliveries_race(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    workers = 6
    clients = [Client() for _ in range(workers)]
    answers = at_once([partial(gateway.post, "SOT KHOTHO", message_id="gw-race", client=c) for c in clients])

    assert [a.status_code for a in answers] == [200] * workers
    assert len({a.content for a in answers}) == 1
    assert sum(1 for a in answers if "Idempotent-Replayed" not in a) == 1
    assert InboundSms.objects.filter(message_id="gw-race").count() == 1
    assert DailyUpdate.objects.count() == 1
    assert len(gateway.replies()) == 2


def test_it_forgets_messages_after_the_keeping_period(world: Any, gateway: Gateway, settings: Any) -> None:
    settings.SMS_INBOUND_KEEP_DAYS = 30
    gateway.reply(REGISTER)
    gateway.post("OK", message_id="gw-old")
    InboundSms.objects.filter(message_id="gw-old").update(created_at=timezone.now() - timedelta(days=31))

    assert inbound_sms_prune.call() == 1
    assert list(InboundSms.objects.values_list("outcome", flat=True)) == ["registered"]
    assert DailyUpdate.objects.count() == 1  # what the message did stays
    assert ("khaibao.smsin.tasks.inbound_sms_prune", 3600) in settings.PERIODIC_TASKS
