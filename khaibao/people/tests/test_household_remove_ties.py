"""Who keeps a person when a household lets go of them is people.households.person_ties_q: a
volunteer keeps them only through a delegation that gives access (consented, the appointment in
force) — not one of a volunteer whose appointment ended, nor one still waiting for consent."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.people.models import HouseholdMembership, Person, Relation, VolunteerAppointment
from khaibao.people.tests.test_volunteers_api import ASSISTED_PHONE, start
from khaibao.signin.services import citizen_account_open


def _assisted_who_signed_in(api, world, sms):
    """A person who agreed by code and then signed in: their own "self", still assisted."""
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    code = sms.last_code(ASSISTED_PHONE)
    assert api.as_(world.volunteer).post(f"/volunteers/assisted/{body['id']}/confirm", {"code": code}).status_code == 200
    signed = citizen_account_open(phone=ASSISTED_PHONE, channel="otp", ip="127.0.0.1")
    assert signed is not None
    person = Person.objects.get(pk=body["person"]["id"])
    assert HouseholdMembership.objects.filter(owner=signed.account, person=person, relation=Relation.SELF).exists()
    return signed.account, person


def _outcome(person: Person) -> str:
    return AuditEvent.objects.filter(action="household.person_remove", person_id=person.pk).latest("id").data["outcome"]


def test_a_volunteer_whose_appointment_ended_keeps_no_one(world, api, sms):
    account, person = _assisted_who_signed_in(api, world, sms)
    VolunteerAppointment.objects.filter(account=world.volunteer).update(expires_at=timezone.now() - timedelta(days=1))
    assert api.as_(account).delete(f"/people/{person.pk}").status_code == 204
    assert _outcome(person) == "deleted"
    assert not Person.objects.filter(pk=person.pk).exists()


def test_a_volunteer_in_force_still_keeps_them(world, api, sms):
    account, person = _assisted_who_signed_in(api, world, sms)
    assert api.as_(account).delete(f"/people/{person.pk}").status_code == 204
    assert _outcome(person) == "kept"
    assert Person.objects.filter(pk=person.pk, account__isnull=True).exists()


def test_a_registration_waiting_for_consent_keeps_no_one(world, api, sms):
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    person = Person.objects.get(pk=body["person"]["id"])
    # A household took the same record in (as a linked sign-in would), then let it go again.
    HouseholdMembership.objects.create(owner=world.lan, person=person, relation=Relation.OTHER)
    assert api.as_(world.lan).delete(f"/people/{person.pk}").status_code == 204
    assert _outcome(person) == "deleted"
    assert not Person.objects.filter(pk=person.pk).exists()
