"""A traced contact's invitation SMS is durable: queued with the contact, retried by the worker,
given up after NOTIFY_MAX_ATTEMPTS, and the console says which (review-faults finding 3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import time_machine
from django.test import Client
from django.utils import timezone

from khaibao.notifications.tests.helpers import run_worker
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.tracing import invitations
from khaibao.tracing.models import Contact, ContactInvitation
from khaibao.tracing.tasks import contact_invitations_requeue
from khaibao.tracing.tests.helpers import contact, make_f0

GATEWAY_DOWN = mock.patch.object(invitations, "send_sms", side_effect=TimeoutError("gateway timed out"))


def _register(world: Any, api: Any, **overrides: Any) -> Contact:
    make_f0(world, api, world.lan_self)
    resp = api.as_(world.ward_official).post(f"/cases/{world.lan_self.id}/contacts", contact(**overrides))
    assert resp.status_code == 201, resp.content
    return Contact.objects.get(pk=resp.json()["id"])


def test_it_is_not_shown_invited_when_the_gateway_failed_and_retries_it(world, api, sms, settings):
    with GATEWAY_DOWN:
        c = _register(world, api)
    # Not "invited": the SMS did not leave; it waits in the outbox for the worker's retry.
    assert (c.invited, c.invitation_status) == (False, "failed")
    assert sms.messages() == []
    outbox = ContactInvitation.objects.get(contact=c)
    assert outbox.attempts == 1
    assert "timed out" in outbox.last_error

    # The retry is queued for after the first wait (NOTIFY_RETRY_BASE_SECONDS), then sent.
    assert run_worker() == []
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.NOTIFY_RETRY_BASE_SECONDS + 1)):
        assert run_worker() == ["sent"]
    c.refresh_from_db()
    assert (c.invited, c.invitation_status) == (True, "sent")
    (message,) = sms.messages()
    assert message["to"] == "+84912345678"
    assert "Duong day nong 1900 9095" in message["body"]  # the hotline's owner: core/hotlines.py
    assert not ContactInvitation.objects.exists()  # the phone is kept nowhere once sent


def test_it_gives_up_after_the_last_attempt_and_says_so_on_the_console(world, api, sms, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    with GATEWAY_DOWN:
        c = _register(world, api)
        with time_machine.travel(timezone.now() + timedelta(hours=1)):
            assert run_worker() == ["gave_up"]
    c.refresh_from_db()
    assert (c.invited, c.invitation_status) == (False, "gave_up")
    assert not ContactInvitation.objects.exists()
    assert sms.messages() == []

    client = Client()
    sign_in_staff(client, world.ward_official)  # the case's official
    page = client.get(f"/staff/cases/{world.lan_self.id}/contacts/").content.decode()
    assert "Không gửi được tin nhắn SMS" in page
    assert "Đã mời" not in page


def test_it_sends_an_invitation_lost_with_its_process_from_the_sweep(world, api, sms, settings, django_capture_on_commit_callbacks):
    # The process died right after the commit: the first attempt never ran.
    with mock.patch.object(invitations, "invitation_send") as lost:
        c = _register(world, api)
    assert lost.called
    assert Contact.objects.get(pk=c.pk).invitation_status == "queued"
    assert contact_invitations_requeue.call() == 0  # not yet: it may still be on its way
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS + 1)):
        assert contact_invitations_requeue.call() == 1
        assert run_worker() == ["sent"]
    assert Contact.objects.get(pk=c.pk).invitation_status == "sent"
    assert len(sms.messages()) == 1


def test_it_sends_one_invitation_however_often_it_is_queued(world, api, sms):
    c = _register(world, api)
    assert invitations.invitation_send(c.pk) == "skipped"  # sent and gone from the outbox
    assert len(sms.messages()) == 1


def test_it_says_no_phone_when_there_is_none(world, api, sms):
    c = _register(world, api, phone=None, id_number="079090123456")
    assert (c.invited, c.invitation_status) == (False, "none")
    assert not ContactInvitation.objects.exists()
    assert sms.messages() == []


def test_it_answers_the_invitation_status_with_its_label_in_the_api(world, api, sms):
    # Needs api/tracing.py's ContactOut to carry invitation_status and invitation_status_label.
    with GATEWAY_DOWN:
        _register(world, api)
    (row,) = api.as_(world.ward_official).get(f"/cases/{world.lan_self.id}/contacts").json()
    assert row["invited"] is False
    assert row["invitation_status"] == "failed"
    assert row["invitation_status_label"] == "Chưa gửi được tin nhắn SMS, sẽ thử lại"
