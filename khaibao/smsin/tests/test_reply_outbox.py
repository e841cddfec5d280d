"""The reply to an inbound SMS is sent by the worker, never in the webhook's request; a failure
is retried on the deliveries' schedule and finally given up; a reply is never sent twice
(review "scale" #9)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import time_machine
from django.utils import timezone

from khaibao.accounts import sms as accounts_sms
from khaibao.core.models import OpsCounter
from khaibao.smsin import outbox
from khaibao.smsin.models import InboundSms, InboundSmsReply
from khaibao.smsin.tasks import inbound_sms_replies_requeue, inbound_sms_reply_send
from khaibao.smsin.tests.helpers import Gateway, run_reply_tasks

PHONE = "+84911000001"


def _gateway(settings: Any, **kw: Any) -> Any:
    """The HTTP backend with its call to the gateway replaced: what a slow or failing gateway does."""
    settings.SMS_BACKEND = "http"
    return mock.patch.object(accounts_sms, "_send_http", **kw)


def test_the_webhook_answers_without_waiting_for_the_gateway(world: Any, gateway: Gateway, settings: Any) -> None:
    with _gateway(settings) as http:
        resp = gateway.post("TROGIUP", worker=False)
        assert resp.status_code == 200, resp.content
        # Answered with the row committed and the reply queued, not sent: no web worker waits
        # for the gateway's round trip (up to SMS_HTTP_TIMEOUT_SECONDS).
        assert http.call_count == 0
        row = InboundSms.objects.get()
        assert row.reply_status == "queued"
        assert InboundSmsReply.objects.filter(inbound=row).exists()

        assert run_reply_tasks() == ["sent"]
    (call,) = http.call_args_list
    to, body, _timeout = call.args
    assert to == PHONE
    assert body == row.reply  # the stored (encrypted) reply, as it was fitted
    row.refresh_from_db()
    assert row.reply_status == "sent"
    assert not InboundSmsReply.objects.exists()  # nothing waits once sent


def test_a_failed_reply_is_retried_and_then_sent(world: Any, gateway: Gateway, settings: Any) -> None:
    with _gateway(settings, side_effect=[accounts_sms.SmsError("gateway timed out"), None]) as http:
        assert gateway.post("TROGIUP").status_code == 200  # the worker's first attempt fails
        row = InboundSms.objects.get()
        assert row.reply_status == "failed"
        waiting = InboundSmsReply.objects.get()
        assert (waiting.attempts, waiting.last_error) == (1, "gateway timed out")
        assert run_reply_tasks() == []  # not before the first wait (NOTIFY_RETRY_BASE_SECONDS)
        with time_machine.travel(timezone.now() + timedelta(seconds=settings.NOTIFY_RETRY_BASE_SECONDS + 1)):
            assert run_reply_tasks() == ["sent"]
    assert http.call_count == 2
    row.refresh_from_db()
    assert row.reply_status == "sent"
    assert not InboundSmsReply.objects.exists()


def test_a_reply_the_gateway_never_takes_is_given_up_visibly(world: Any, gateway: Gateway, settings: Any) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 3
    with _gateway(settings, side_effect=accounts_sms.SmsError("gateway down")) as http:
        gateway.post("TROGIUP")
        with time_machine.travel(timezone.now() + timedelta(hours=1)):
            assert run_reply_tasks() == ["failed"]
        with time_machine.travel(timezone.now() + timedelta(hours=2)):
            assert run_reply_tasks() == ["gave_up"]
            assert run_reply_tasks() == []  # no further attempt is queued
    assert http.call_count == 3
    row = InboundSms.objects.get()
    assert row.reply_status == "gave_up"
    assert not InboundSmsReply.objects.exists()
    assert OpsCounter.objects.get(name="sms.inbound_reply.gave_up").count == 1


def test_a_reply_is_sent_once_however_often_it_is_queued(world: Any, gateway: Gateway, sms: Any) -> None:
    gateway.post("TROGIUP", worker=False)
    row = InboundSms.objects.get()
    # A duplicate task (a sweep while the first still runs, a second worker).
    inbound_sms_reply_send.enqueue(row.pk)
    inbound_sms_reply_send.enqueue(row.pk)
    assert sorted(run_reply_tasks()) == ["sent", "skipped", "skipped"]
    assert len(gateway.replies()) == 1


def test_a_reply_being_sent_is_not_claimed_again(world: Any, gateway: Gateway, settings: Any) -> None:
    """Two workers read the same waiting reply: only the one whose conditional UPDATE claims it
    sends; the other finds it taken (the lease) and sends nothing."""
    gateway.post("TROGIUP", worker=False)
    row = InboundSms.objects.get()
    inner: list[str] = []

    def second_worker(*_args: Any) -> None:
        inner.append(outbox.reply_send(row.pk))

    with _gateway(settings, side_effect=second_worker) as http:
        assert outbox.reply_send(row.pk) == "sent"
    assert http.call_count == 1
    assert inner == ["not_due"]  # the lease holds it while the first sends

    # And a second worker that read the row before the first one claimed it loses the UPDATE.
    InboundSmsReply.objects.create(inbound=row)
    stale = InboundSmsReply.objects.select_related("inbound").get(pk=row.pk)
    InboundSmsReply.objects.filter(pk=row.pk).update(attempts=1)  # the first worker's claim
    with mock.patch.object(outbox, "_waiting", return_value=stale), _gateway(settings) as http:
        assert outbox.reply_send(row.pk) == "skipped"
    assert http.call_count == 0


def test_a_reply_whose_enqueue_was_lost_is_sent_by_the_sweep(world: Any, gateway: Gateway, settings: Any, sms: Any) -> None:
    with mock.patch.object(outbox, "_enqueue") as lost:
        gateway.post("TROGIUP")
    assert lost.called
    assert InboundSms.objects.get().reply_status == "queued"
    assert inbound_sms_replies_requeue.call() == 0  # not yet: it may still be on its way
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS + 1)):
        assert inbound_sms_replies_requeue.call() == 1
        assert run_reply_tasks() == ["sent"]
    assert len(gateway.replies()) == 1


def test_a_reply_held_back_by_the_hourly_limit_is_not_queued(world: Any, gateway: Gateway, settings: Any) -> None:
    settings.SMS_INBOUND_REPLIES_PER_HOUR = 1
    gateway.post("TROGIUP")
    gateway.post("TROGIUP")
    assert sorted(InboundSms.objects.values_list("reply_status", flat=True)) == ["held", "sent"]
    assert len(gateway.replies()) == 1


def test_the_sweep_is_a_periodic_job(settings: Any) -> None:
    assert ("khaibao.smsin.tasks.inbound_sms_replies_requeue", 60) in settings.PERIODIC_TASKS
