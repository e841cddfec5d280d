"""Deliveries through the task worker: SMS, e-mail, Web Push; retries, budget, rate limit."""

from __future__ import annotations

import base64
import os
import smtplib
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult

from khaibao.accounts.models import Account
from khaibao.accounts.sms import SmsError
from khaibao.notifications.models import ChannelPreference, Delivery, SmsDailyCounter, WebPushSubscription
from khaibao.notifications.services import notify_account
from khaibao.notifications.tasks import deliver, deliveries_requeue
from khaibao.notifications.tests.helpers import run_worker
from khaibao.notifications.vapid import vapid_keypair

START = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """notify_account as a caller's transaction would: deliveries are enqueued on commit."""

    def _send(account, **kw):
        kw.setdefault("kind", "zone_warning")
        kw.setdefault("title", "Cảnh báo khu vực có dịch")
        kw.setdefault("body", "Xem hướng dẫn trong ứng dụng.")
        with django_capture_on_commit_callbacks(execute=True):
            return notify_account(account=account, **kw)

    return _send


def test_it_sends_an_sms_through_the_worker_when_asked_for(world, send, sms):
    notification = send(world.lan, sms=True, link="/zones/")
    assert run_worker() == ["sent"]
    (message,) = sms.messages()
    assert message["to"] == "+84900000001"
    # SMS go out in Vietnamese without diacritics (khaibao.accounts.sms.sms_text).
    assert message["body"] == "Canh bao khu vuc co dich\nXem huong dan trong ung dung.\nhttp://127.0.0.1:8000/zones/"
    delivery = Delivery.objects.get(notification=notification)
    assert (delivery.channel, delivery.status, delivery.attempts) == ("sms", "sent", 1)


def test_it_sends_no_sms_unless_asked_for_or_when_the_account_refuses_sms(world, send, sms, api):
    send(world.lan)
    api.as_(world.mai).put("/notifications/preferences", {"sms": False})
    send(world.mai, sms=True)
    assert run_worker() == []
    assert sms.messages() == []
    assert not Delivery.objects.exists()


def test_it_retries_a_failing_sms_backend_with_backoff_then_gives_up_visibly(world, send, monkeypatch):
    calls = []

    def broken(*, to, body):
        calls.append(to)
        raise SmsError("gateway answered 503")

    monkeypatch.setattr("khaibao.notifications.channels.send_sms", broken)
    with time_machine.travel(START, tick=False) as clock:
        notification = send(world.lan, sms=True)
        assert run_worker() == ["failed"]
        delivery = Delivery.objects.get(notification=notification)
        assert (delivery.status, delivery.attempts) == ("failed", 1)
        assert delivery.next_attempt_at == START + timedelta(minutes=1)
        assert "503" in delivery.last_error

        for wait, status, attempts in [(1, "failed", 2), (5, "failed", 3), (25, "gave_up", 4)]:
            clock.shift(timedelta(minutes=wait) - timedelta(seconds=1))
            assert run_worker() == []  # not due yet: the backoff holds
            clock.shift(timedelta(seconds=1))
            assert run_worker() == [status]
            delivery.refresh_from_db()
            assert (delivery.status, delivery.attempts) == (status, attempts)

        clock.shift(timedelta(hours=2))
        assert run_worker() == []
        assert deliveries_requeue.call() == 0  # given up: never tried again
    assert len(calls) == 4

    admin = Account.objects.create_user("ops-admin", "a-long-admin-password", is_staff=True, role="checkpoint")
    admin.user_permissions.add(*Permission.objects.filter(codename="view_delivery"))
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/notifications/delivery/?status__exact=gave_up")
    assert page.status_code == 200
    assert "503" in page.content.decode()
    assert client.get(f"/admin/notifications/delivery/{delivery.pk}/delete/").status_code == 403


def test_it_refuses_sms_beyond_the_daily_budget(world, send, sms, settings):
    settings.SMS_DAILY_BUDGET = 2
    for account in (world.lan, world.mai, world.hung):
        send(account, sms=True)
    assert sorted(run_worker()) == ["refused", "sent", "sent"]
    assert len(sms.messages()) == 2
    refused = Delivery.objects.get(status="refused")
    assert "budget" in refused.last_error
    counter = SmsDailyCounter.objects.get()
    assert (counter.sent, counter.refused) == (2, 1)


def test_it_gives_a_failed_sms_its_budget_slot_back(world, send, sms, settings, monkeypatch):
    settings.SMS_DAILY_BUDGET = 1
    with time_machine.travel(START, tick=False) as clock:
        monkeypatch.setattr("khaibao.notifications.channels.send_sms", lambda **kw: (_ for _ in ()).throw(SmsError("down")))
        send(world.lan, sms=True)
        assert run_worker() == ["failed"]
        monkeypatch.undo()
        clock.shift(timedelta(minutes=1))
        assert run_worker() == ["sent"]
    assert SmsDailyCounter.objects.get().sent == 1


def test_it_rate_limits_a_channel_and_sends_in_the_next_window(world, send, sms, settings):
    settings.NOTIFY_RATE_LIMITS_PER_MINUTE = {"sms": 2}
    with time_machine.travel(START, tick=False) as clock:
        for account in (world.lan, world.mai, world.hung):
            send(account, sms=True)
        assert run_worker() == ["sent", "sent", "rate_limited"]
        waiting = Delivery.objects.get(status="queued")
        assert waiting.attempts == 0  # waiting for the window is not a failed attempt
        assert waiting.next_attempt_at == START + timedelta(minutes=1)
        clock.shift(timedelta(seconds=59))
        assert run_worker() == []
        clock.shift(timedelta(seconds=1))
        assert run_worker() == ["sent"]
    assert len(sms.messages()) == 3


def test_it_sends_email_to_the_chosen_address(world, send, api):
    resp = api.as_(world.lan).put("/notifications/preferences", {"email": True, "email_address": "lan@example.com"})
    assert resp.status_code == 200
    send(world.lan, link="/notifications/")
    assert run_worker() == ["sent"]
    (message,) = mail.outbox
    assert message.to == ["lan@example.com"]
    assert message.subject == "Cảnh báo khu vực có dịch"
    assert "http://127.0.0.1:8000/notifications/" in message.body


def test_a_refused_address_is_recorded_by_its_smtp_code_not_its_text(world, send, api, monkeypatch, settings):
    # A mail server's refusal names the address, kept encrypted everywhere else: the delivery
    # records the kind of failure and the reply code only.
    settings.NOTIFY_MAX_ATTEMPTS = 1
    address = "lan.refused@example.com"
    api.as_(world.lan).put("/notifications/preferences", {"email": True, "email_address": address})

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({address: (550, f"5.1.1 <{address}>: user unknown".encode())})

    monkeypatch.setattr(EmailMessage, "send", refuse)
    send(world.lan)
    assert run_worker() == ["gave_up"]

    delivery = Delivery.objects.get(channel="email")
    assert delivery.last_error == "e-mail backend: SMTPRecipientsRefused 550"
    with connection.cursor() as cursor:
        cursor.execute("SELECT email_address FROM notifications_channelpreference")
        stored = [value for (value,) in cursor.fetchall()]
    assert stored
    assert all(address not in value for value in stored)
    assert ChannelPreference.objects.get(account=world.lan).email_address == address


def test_it_never_sends_twice_when_a_delivery_is_enqueued_twice(world, send, sms):
    notification = send(world.lan, sms=True)
    delivery = Delivery.objects.get(notification=notification)
    assert deliver.call(delivery.pk) == "sent"
    assert deliver.call(delivery.pk) == "skipped"
    assert len(sms.messages()) == 1


def test_it_requeues_a_delivery_whose_task_was_lost(world, send, sms):
    with time_machine.travel(START, tick=False) as clock:
        send(world.lan, sms=True)
        DBTaskResult.objects.all().delete()  # e.g. the enqueue failed after the commit
        assert deliveries_requeue.call() == 0  # within the grace period the original task may still come
        clock.shift(timedelta(minutes=3))
        assert deliveries_requeue.call() == 1
        assert run_worker() == ["sent"]
    assert len(sms.messages()) == 1


def _browser_subscription() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {
        "p256dh": base64.urlsafe_b64encode(public).rstrip(b"=").decode(),
        "auth": base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode(),
    }


@pytest.fixture
def push_service(monkeypatch, settings):
    """VAPID keys set, and the push service's HTTP endpoint replaced by a recorder."""
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = vapid_keypair()
    settings.VAPID_SUBJECT = "mailto:ops@example.com"
    sent = []
    answer = {"status": 201}

    def post(url, **kw):
        sent.append((url, kw))
        return SimpleNamespace(status_code=answer["status"], text="", headers={}, reason="")

    monkeypatch.setattr("pywebpush.requests.post", post)
    return SimpleNamespace(sent=sent, answer=answer)


def test_it_sends_web_push_encrypted_and_signed(world, send, api, push_service):
    resp = api.as_(world.lan).post(
        "/notifications/webpush-subscriptions",
        {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": _browser_subscription()},
    )
    assert resp.status_code == 201
    send(world.lan)
    assert run_worker() == ["sent"]
    ((url, kw),) = push_service.sent
    assert url == "https://fcm.googleapis.com/fcm/send/abc"
    assert kw["headers"]["content-encoding"] == "aes128gcm"
    assert kw["headers"]["authorization"].startswith("vapid t=")
    assert "Cảnh báo".encode() not in kw["data"]  # the payload is encrypted for the browser


def test_it_forgets_an_expired_push_subscription_and_gives_up(world, send, api, push_service):
    api.as_(world.lan).post(
        "/notifications/webpush-subscriptions",
        {"endpoint": "https://fcm.googleapis.com/fcm/send/gone", "keys": _browser_subscription()},
    )
    push_service.answer["status"] = 410
    notification = send(world.lan)
    assert run_worker() == ["gave_up"]
    assert not WebPushSubscription.objects.exists()
    assert Delivery.objects.get(notification=notification).last_error == "every push subscription has expired"


def test_it_sends_a_large_batch_through_a_few_tasks(world, sms):
    from khaibao.accounts.models import Role
    from khaibao.notifications.tasks import DELIVER_BATCH_SIZE, ENQUEUE_ONE_BY_ONE_MAX, deliveries_enqueue

    accounts = [
        Account.objects.create(phone=f"+8490000{n:04d}", phone_index=f"bench-{n}", role=Role.CITIZEN)
        for n in range(ENQUEUE_ONE_BY_ONE_MAX + 5)
    ]
    for account in accounts:
        notify_account(account=account, kind="test", title="t", body="b", sms=True)
    ids = list(Delivery.objects.values_list("pk", flat=True))
    DBTaskResult.objects.all().delete()  # the per-call enqueues; hand them over in one go instead
    deliveries_enqueue(ids)
    assert DBTaskResult.objects.count() == -(-len(ids) // DELIVER_BATCH_SIZE)
    results = run_worker()
    assert results == [{"sent": len(ids)}]
    assert len(sms.messages()) == len(ids)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
