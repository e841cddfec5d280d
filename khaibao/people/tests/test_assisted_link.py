"""An assisted person becomes their own "self" at their first sign-in only when they agreed by
the code sent to that very phone (volunteers.assisted_link_on_sign_in): a phone a volunteer typed
proves nothing, and linking on it would hand a stranger's record to the volunteer's view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone, translation

from khaibao.audit.models import AuditEvent
from khaibao.people.models import Delegation, HouseholdMembership, Person, Relation
from khaibao.people.tests.test_volunteers_api import ASSISTED_PHONE, start
from khaibao.people.volunteers import assisted_consent_resend
from khaibao.signin.services import citizen_account_open


def _confirmed_by_code(api: Any, world: Any, sms: Any) -> int:
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    code = sms.last_code(ASSISTED_PHONE)
    assert api.as_(world.volunteer).post(f"/volunteers/assisted/{body['id']}/confirm", {"code": code}).status_code == 200
    return int(body["person"]["id"])


def _self_of(phone: str) -> Person | None:
    signed = citizen_account_open(phone=phone, channel="otp", ip="127.0.0.1")
    assert signed is not None
    membership = HouseholdMembership.objects.filter(owner=signed.account, relation=Relation.SELF).first()
    return membership.person if membership else None


def test_a_person_who_agreed_by_code_gets_their_record_at_their_first_sign_in(world, api, sms):
    person_id = _confirmed_by_code(api, world, sms)
    mine = _self_of(ASSISTED_PHONE)
    assert mine is not None
    assert mine.pk == person_id
    assert AuditEvent.objects.filter(action="person.link_assisted", person_id=person_id).count() == 1


def test_a_phone_typed_with_witnessed_consent_hands_nothing_over(world, api, sms):
    # The volunteer typed a stranger's number: the stranger's first sign-in must not make the
    # volunteer's record their "self" (the volunteer would read all they declare there).
    resp = start(api, world, world.volunteer, phone=ASSISTED_PHONE)  # witnessed, active at once
    assert resp.status_code == 201, resp.json()
    person_id = resp.json()["person"]["id"]
    assert _self_of(ASSISTED_PHONE) is None
    assert Person.objects.get(pk=person_id).account_id is None
    assert not AuditEvent.objects.filter(action="person.link_assisted").exists()


def test_a_code_still_pending_hands_nothing_over(world, api, sms):
    start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE)
    assert _self_of(ASSISTED_PHONE) is None


def test_a_phone_changed_after_the_consent_hands_nothing_over(world, api, sms):
    person_id = _confirmed_by_code(api, world, sms)
    other = "+84912000999"
    changed = api.as_(world.volunteer).patch(f"/people/{person_id}", {"phone": "0912000999"})
    assert changed.status_code == 200, changed.json()
    assert _self_of(other) is None
    assert Person.objects.get(pk=person_id).account_id is None


def test_the_consent_code_is_sent_in_the_countrys_language(world, api, sms, time_machine):
    # The person asked is not the volunteer, whose pages may be in English.
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    delegation = Delegation.objects.get(pk=body["id"])
    time_machine.move_to(timezone.now() + timedelta(seconds=61))  # past the resend cooldown
    with translation.override("en"):
        assisted_consent_resend(actor=world.volunteer, delegation=delegation)
    last = [m for m in sms.messages() if m["to"] == ASSISTED_PHONE][-1]["body"]
    assert "tinh nguyen vien" in last.lower() or "tình nguyện viên" in last.lower(), last
    assert "volunteer" not in last.lower(), last
