"""Withdrawing consent stops every use of the person's data at once — also a daily update stored
first in rush mode (decision D) and still waiting for the worker: its assessment must not bring
the status row, and so the triage-queue entry, back for a person nobody may process any more."""

from __future__ import annotations

from django.utils import timezone

from khaibao.monitoring.models import DailyUpdate, PendingAssessment, PersonStatus
from khaibao.monitoring.pending import pending_assess_all
from khaibao.monitoring.services import daily_update_store
from khaibao.people.models import Person
from khaibao.privacy.models import Erasure
from khaibao.privacy.tests.helpers import immediate_tasks

LAN_PHONE = "+84900000001"
URGENT = {"symptoms": ["fever", "shortness_of_breath"], "feeling": "unwell"}


def _withdraw(api, sms, world, person):
    """Lan withdraws consent for `person` of her household (the code by SMS, then confirmed)."""
    client = api.as_(world.lan)
    ask = client.post("/privacy/erasure-codes", {"person_ids": [person.id], "reason": "consent_withdrawn"})
    assert ask.status_code == 201, ask.content
    confirm = client.post(f"/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)})
    assert confirm.status_code == 202, confirm.content


def _queue_ids(api, world):
    resp = api.as_(world.ward_official).get("/triage")
    assert resp.status_code == 200, resp.content
    return [item["person_id"] for item in resp.json()["items"]]


def _stored_first(world, person):
    update, _created = daily_update_store(actor=world.lan, person=person, day=timezone.localdate(), **URGENT)
    assert PendingAssessment.objects.filter(person=person).exists()
    return update


def test_it_drops_a_pending_update_when_consent_is_withdrawn_and_erased(world, api, sms, settings):
    immediate_tasks(settings)
    child = world.lan_child
    _stored_first(world, child)

    _withdraw(api, sms, world, child)

    # Today's update keeps an anonymous shell for the statistics: it has a home ward.
    shell = Person.objects.get(pk=child.pk)
    assert shell.full_name == ""
    assert not PendingAssessment.objects.filter(person_id=child.pk).exists()
    pending_assess_all()
    assert not PersonStatus.objects.filter(person_id=child.pk).exists()
    assert child.pk not in _queue_ids(api, world)


def test_it_drops_a_pending_update_before_the_erasure_has_run(world, api, sms):
    child = world.lan_child
    _stored_first(world, child)

    _withdraw(api, sms, world, child)  # the erasure is only queued: the person is still whole

    assert Erasure.objects.get(person_id=child.pk).status == "pending"
    assert not PendingAssessment.objects.filter(person_id=child.pk).exists()
    pending_assess_all()
    assert not PersonStatus.objects.filter(person_id=child.pk).exists()
    assert child.pk not in _queue_ids(api, world)


def test_the_worker_leaves_out_a_pending_row_written_after_the_stop(world, api, sms):
    """An update racing the withdrawal: its pending row commits after processing stopped."""
    child = world.lan_child
    update = _stored_first(world, child)
    _withdraw(api, sms, world, child)
    assert DailyUpdate.objects.filter(pk=update.pk).exists()  # the erasure has not run yet
    PendingAssessment.objects.create(
        daily_update_id=update.pk, person_id=child.pk, day=update.day, queued_at=timezone.now()
    )

    totals = pending_assess_all()

    assert (totals["updates"], totals["dropped"]) == (0, 1)
    assert not PendingAssessment.objects.exists()
    assert not PersonStatus.objects.filter(person_id=child.pk).exists()
    assert child.pk not in _queue_ids(api, world)


def test_the_worker_still_assesses_everyone_else_in_the_batch(world, api, sms):
    child = world.lan_child
    update = _stored_first(world, child)
    _stored_first(world, world.lan_parent)
    _withdraw(api, sms, world, child)
    PendingAssessment.objects.create(
        daily_update_id=update.pk, person_id=child.pk, day=update.day, queued_at=timezone.now()
    )

    totals = pending_assess_all()

    assert (totals["updates"], totals["dropped"]) == (1, 1)
    assert PersonStatus.objects.get(person=world.lan_parent).level == "urgent"
    assert world.lan_parent.pk in _queue_ids(api, world)
    assert child.pk not in _queue_ids(api, world)
