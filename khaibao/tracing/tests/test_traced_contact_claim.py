"""A traced contact who follows the SMS invitation declares on the record officials follow up:
signed in with the invited phone, adding themselves with the record's ID number, the record
becomes their "self" (people.households.traced_contact_to_claim). Anything less — another
phone, another ID number, a record already someone's — is an ordinary add, answered alike.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from khaibao.accounts.models import Account
from khaibao.audit.models import AuditEvent
from khaibao.monitoring.models import PersonStatus
from khaibao.people.households import traced_contact_to_claim
from khaibao.people.models import HouseholdMembership, IdNumberReview, Person
from khaibao.signin.services import citizen_account_open
from khaibao.tracing.tests.helpers import contact, make_f0

INVITED = "+84912345678"
OTHER = "+84987654321"
CCCD = "079090012345"
OTHER_CCCD = "079090054321"


def _traced(world: Any, api: Any, **overrides: Any) -> Person:
    make_f0(world, api, world.lan_self)
    resp = api.as_(world.ward_official).post(
        f"/cases/{world.lan_self.id}/contacts", contact(id_number=CCCD, **overrides)
    )
    assert resp.status_code == 201, resp.content
    return Person.objects.get(pk=resp.json()["person_id"])


def _signed_in(phone: str) -> Account:
    signed = citizen_account_open(phone=phone, channel="otp", ip="")
    assert signed is not None
    return signed.account


def _self(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "relation": "self", "full_name": "Bùi Văn Khách", "birth_year": 1990, "sex": "male",
        "nationality": "VN", "id_number": CCCD, "phone": "0912345678", "ward_code": 26743,
        "street": "12 Lê Lợi",
    }
    body.update(overrides)
    return body


def _claims(person: Person) -> int:
    return AuditEvent.objects.filter(action="person.claimed_traced", person_id=person.pk).count()


def _assert_still_followed(traced: Person) -> None:
    status = PersonStatus.objects.get(person=traced)
    assert status.contact_level == "F1"
    assert status.level == "high"
    assert status.in_queue
    assert status.monitoring_until is not None


def test_it_gives_the_invited_contact_their_traced_record_through_the_api(world, api, sms):
    traced = _traced(world, api)
    people = Person.objects.count()
    account = _signed_in(INVITED)

    resp = api.as_(account).post("/people", _self())

    assert resp.status_code == 201, resp.content
    assert resp.json()["id"] == traced.pk
    assert Person.objects.count() == people
    traced.refresh_from_db()
    assert traced.account_id == account.pk
    assert traced.full_name == "Bùi Văn Khách"
    assert traced.home_ward_id == 26743
    assert traced.street == "12 Lê Lợi"
    assert HouseholdMembership.objects.filter(owner=account, person=traced, relation="self").exists()
    _assert_still_followed(traced)
    # The record moved ward with the citizen's own address: so did its place in the queue.
    assert PersonStatus.objects.get(person=traced).home_ward_id == 26743
    assert _claims(traced) == 1
    assert not IdNumberReview.objects.exists()
    # Their own pages now show the record officials follow up.
    assert api.as_(account).get(f"/people/{traced.pk}/status").status_code == 200


def test_it_gives_the_invited_contact_their_traced_record_through_the_household_page(world, api, sms):
    traced = _traced(world, api)
    account = _signed_in(INVITED)
    browser = Client()
    browser.force_login(account)
    form = {**_self(phone="", date_of_birth=""), "province": world.hcmc.code}

    resp = browser.post("/household/add/", form)

    assert resp.status_code == 302, resp.content.decode()[:2000]
    traced.refresh_from_db()
    assert traced.account_id == account.pk
    assert HouseholdMembership.objects.get(owner=account, relation="self").person_id == traced.pk
    # No phone typed: the record keeps the one the account signed in with.
    assert traced.phone == INVITED
    _assert_still_followed(traced)
    assert _claims(traced) == 1
    assert not IdNumberReview.objects.exists()


def test_it_gives_another_phone_a_new_person_and_sends_the_number_to_review(world, api, sms):
    traced = _traced(world, api)
    stranger = _signed_in(OTHER)

    resp = api.as_(stranger).post("/people", _self(phone="0987654321"))

    assert resp.status_code == 201, resp.content
    assert resp.json()["id"] != traced.pk
    traced.refresh_from_db()
    assert traced.account_id is None
    assert not traced.households.exists()
    review = IdNumberReview.objects.get()
    assert review.person_id == resp.json()["id"]
    assert review.holder_id == traced.pk
    assert _claims(traced) == 0


def test_it_gives_the_invited_phone_with_another_id_number_a_new_person(world, api, sms):
    traced = _traced(world, api)
    account = _signed_in(INVITED)

    resp = api.as_(account).post("/people", _self(id_number=OTHER_CCCD))

    assert resp.status_code == 201, resp.content
    assert resp.json()["id"] != traced.pk
    traced.refresh_from_db()
    assert traced.account_id is None
    assert not IdNumberReview.objects.exists()
    assert _claims(traced) == 0


def test_it_answers_a_claim_and_an_ordinary_add_alike(world, api, sms):
    _traced(world, api)
    claimed = api.as_(_signed_in(INVITED)).post("/people", _self())
    ordinary = api.as_(_signed_in(OTHER)).post("/people", _self(phone="0987654321"))
    assert claimed.status_code == ordinary.status_code == 201
    assert claimed.json().keys() == ordinary.json().keys()


def test_it_never_claims_a_traced_record_twice(world, api, sms):
    traced = _traced(world, api)
    first = _signed_in(INVITED)
    # The first citizen gives a family member's phone as their own: the record now carries it.
    resp = api.as_(first).post("/people", _self(phone="0987654321"))
    assert resp.json()["id"] == traced.pk
    assert traced_contact_to_claim(account=first, id_number=CCCD) is None

    second = _signed_in(OTHER)
    assert traced_contact_to_claim(account=second, id_number=CCCD) is None
    resp = api.as_(second).post("/people", _self(phone="0987654321"))

    assert resp.status_code == 201, resp.content
    assert resp.json()["id"] != traced.pk
    traced.refresh_from_db()
    assert traced.account_id == first.pk
    assert HouseholdMembership.objects.filter(person=traced).count() == 1
    assert _claims(traced) == 1
    assert IdNumberReview.objects.get().holder_id == traced.pk


def test_it_leaves_a_traced_household_member_where_they_are(world, api, sms):
    make_f0(world, api, world.lan_self)
    hung = world.hung_self
    resp = api.as_(world.ward_official).post(
        f"/cases/{world.lan_self.id}/contacts",
        contact(full_name=hung.full_name, id_number=hung.id_number, phone=None, ward_code=hung.home_ward_id),
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["person_id"] == hung.pk
    # Even with the record's own phone, a person who already has an account is nobody's to claim.
    assert traced_contact_to_claim(account=world.hung, id_number=hung.id_number) is None


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_it_asks_the_contact_for_their_id_number_in_the_invitation(world, api, sms, settings, lang):
    settings.LANGUAGE_CODE = lang
    _traced(world, api)
    text = [m["body"] for m in sms.messages() if m["to"] == INVITED][-1]
    assert "CCCD" in text
