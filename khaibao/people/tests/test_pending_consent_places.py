"""A registration waiting for consent by code holds one of the volunteer's places only while its
code is live or within VOLUNTEER_PENDING_CONSENT_DAYS after it (people.limits.delegation_holds_place_q):
a person who never agreed must not fill a volunteer's appointment for ever."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from khaibao.people.limits import delegation_holds_place_q, pending_consent_lapse, pending_delegations_lapsed
from khaibao.people.models import Delegation, VolunteerAppointment
from khaibao.people.tests.test_volunteers_api import ASSISTED_PHONE, start
from khaibao.people.volunteers import assisted_consent_resend


def _full_after_one_more(world) -> None:
    # The volunteer already assists Ông Tư (consented): one more place.
    held = Delegation.objects.filter(volunteer=world.volunteer, ended_at__isnull=True).count()
    VolunteerAppointment.objects.filter(account=world.volunteer).update(max_assisted=held + 1)


def test_a_pending_registration_holds_a_place_within_its_grace_and_frees_it_after(world, api, sms, time_machine, settings):
    settings.VOLUNTEER_PENDING_CONSENT_DAYS = 7
    _full_after_one_more(world)
    assert start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).status_code == 201
    refused = start(api, world, world.volunteer, full_name="Trần Văn Tám", id_number="001140000888")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "assisted_full"

    time_machine.move_to(timezone.now() + timedelta(days=6))
    assert start(api, world, world.volunteer, full_name="Trần Văn Tám", id_number="001140000888").status_code == 409

    # The code expired, then the grace passed: the person never agreed, the place is free again.
    time_machine.move_to(timezone.now() + timedelta(days=2))
    resp = start(api, world, world.volunteer, full_name="Trần Văn Tám", id_number="001140000888")
    assert resp.status_code == 201, resp.json()


def test_a_new_code_starts_the_grace_again(world, api, sms, time_machine, settings):
    settings.VOLUNTEER_PENDING_CONSENT_DAYS = 7
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    delegation = Delegation.objects.get(pk=body["id"])
    time_machine.move_to(timezone.now() + timedelta(days=6))
    assisted_consent_resend(actor=world.volunteer, delegation=delegation)
    time_machine.move_to(timezone.now() + timedelta(days=6))
    assert not pending_delegations_lapsed().filter(pk=delegation.pk).exists()
    assert Delegation.objects.filter(delegation_holds_place_q(), pk=delegation.pk).exists()
    time_machine.move_to(timezone.now() + pending_consent_lapse() - timedelta(days=6) + timedelta(seconds=1))
    assert pending_delegations_lapsed().filter(pk=delegation.pk).exists()
    assert not Delegation.objects.filter(delegation_holds_place_q(), pk=delegation.pk).exists()


def test_a_new_code_for_a_lapsed_registration_is_held_to_the_cap(world, api, sms, time_machine, settings):
    # Lapsed but not yet ended by the hourly retention: its place went to someone else meanwhile,
    # so a new code may not take one beyond the appointment's cap.
    settings.VOLUNTEER_PENDING_CONSENT_DAYS = 7
    _full_after_one_more(world)
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    time_machine.move_to(timezone.now() + timedelta(days=8))
    assert start(api, world, world.volunteer, full_name="Trần Văn Tám", id_number="001140000888").status_code == 201

    resent = api.as_(world.volunteer).post(f"/volunteers/assisted/{body['id']}/resend")
    assert resent.status_code == 409, resent.content
    assert resent.json()["error"]["code"] == "assisted_full"
