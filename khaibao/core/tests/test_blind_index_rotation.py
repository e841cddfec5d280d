"""`rotate_keys --blind-index` recomputes every stored blind index (settings.BLIND_INDEXES, filled
in khaibao/wiring.py): what was found by an index before the rotation is found after it."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from khaibao.accounts.phones import phone_index
from khaibao.core import rotation
from khaibao.people.models import Delegation, HouseholdMembership, Person, Relation
from khaibao.people.tests.test_volunteers_api import ASSISTED_PHONE, start
from khaibao.signin.services import citizen_account_open
from khaibao.smsin.models import InboundSms
from khaibao.smsin.services import inbound_sms_erase_account, sms_inbound_receive

NEW_KEY = "a-brand-new-blind-index-key-of-at-least-32-chars"
UNREGISTERED_PHONE = "+84911000077"

# Keyed values that are not recomputed, with why: none may be added without a reason.
NOT_RECOMPUTED = {
    # A one-time code's phone: the command closes every pending code instead (a new one is asked).
    "accounts.OtpChallenge.phone_index",
}


def reindex(settings: Any) -> str:
    settings.BLIND_INDEX_KEY = NEW_KEY
    out = StringIO()
    call_command("rotate_keys", "--blind-index", stdout=out)
    return out.getvalue()


def _listed() -> set[str]:
    return {f"{spec.model}.{spec.index_field}" for spec in rotation.blind_indexes()}


def test_every_stored_blind_index_is_recomputed():
    # A blind index is a `*_index` column of one of our models (people/models.py: "`*_index`
    # columns are HMAC blind indexes"). One that is not listed stops matching after a rotation.
    stored = {
        f"{model._meta.label}.{f.name}"
        for model in apps.get_models()
        if model.__module__.startswith("khaibao.")
        for f in model._meta.local_concrete_fields
        if f.name.endswith("_index")
    }
    assert stored - NOT_RECOMPUTED - _listed() == set()
    assert {"smsin.InboundSms.phone_index", "people.Delegation.consent_phone_index"} <= _listed()


def test_every_listed_index_names_real_fields():
    for spec in rotation.blind_indexes():
        model = apps.get_model(spec.model)
        model._meta.get_field(spec.index_field)
        for path in filter(None, (spec.source_field, spec.same_as)):
            *through, name = path.split("__")
            holder = model
            for link in through:
                holder = holder._meta.get_field(link).related_model
            holder._meta.get_field(name)


def test_the_indexes_compared_with_another_run_first():
    # Delegation.consent_phone_index is compared with Person.phone_index while that still holds
    # the index under the old key.
    labels = [f"{spec.model}.{spec.index_field}" for spec in rotation.blind_indexes()]
    assert labels.index("people.Delegation.consent_phone_index") < labels.index("people.Person.phone_index")


def test_closing_an_account_after_a_rotation_erases_its_phones_earlier_unlinked_sms(world, settings):
    # A refused registration: no account, no person; its text holds an ID number and a name.
    row, _processed = sms_inbound_receive(
        phone=UNREGISTERED_PHONE, text="KB 001090000123 1990 99999 NGUYEN VAN AN", message_id="gw-1"
    )
    assert row.account_id is None
    assert row.outcome.startswith("refused")

    reindex(settings)
    assert InboundSms.objects.get(pk=row.pk).phone_index == phone_index(UNREGISTERED_PHONE)

    signed = citizen_account_open(phone=UNREGISTERED_PHONE, channel="otp", ip="127.0.0.1")
    assert signed is not None
    assert inbound_sms_erase_account(account=signed.account) == {"inbound_sms": 1}
    assert not InboundSms.objects.filter(pk=row.pk).exists()


def _confirmed_by_code(api: Any, world: Any, sms: Any) -> Delegation:
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    code = sms.last_code(ASSISTED_PHONE)
    assert api.as_(world.volunteer).post(f"/volunteers/assisted/{body['id']}/confirm", {"code": code}).status_code == 200
    return Delegation.objects.get(pk=body["id"])


def _self_of(phone: str) -> Person | None:
    signed = citizen_account_open(phone=phone, channel="otp", ip="127.0.0.1")
    assert signed is not None
    membership = HouseholdMembership.objects.filter(owner=signed.account, relation=Relation.SELF).first()
    return membership.person if membership else None


def test_a_person_who_agreed_by_code_before_a_rotation_gets_their_record_at_sign_in(world, api, sms, settings):
    delegation = _confirmed_by_code(api, world, sms)

    out = reindex(settings)
    assert "people.Delegation.consent_phone_index" in out
    delegation.refresh_from_db()
    assert delegation.consent_phone_index == phone_index(ASSISTED_PHONE)

    mine = _self_of(ASSISTED_PHONE)
    assert mine is not None
    assert mine.pk == delegation.person_id
    # Nothing left to recompute: a second run writes nothing.
    assert "Recomputed 0 blind indexes" in reindex(settings)


def test_a_consent_index_of_a_phone_changed_since_is_cleared_and_hands_nothing_over(world, api, sms, settings):
    delegation = _confirmed_by_code(api, world, sms)
    changed = api.as_(world.volunteer).patch(f"/people/{delegation.person_id}", {"phone": "0912000999"})
    assert changed.status_code == 200, changed.json()
    # The phone the code went to is kept nowhere: its index cannot be recomputed.
    out = reindex(settings)
    assert "1 of them cleared" in out
    delegation.refresh_from_db()
    assert delegation.consent_phone_index == ""
    assert _self_of("+84912000999") is None
    assert _self_of(ASSISTED_PHONE) is None
    assert Person.objects.get(pk=delegation.person_id).account_id is None
    assert "Recomputed 0 blind indexes" in reindex(settings)


def test_a_run_resumed_after_the_delegations_still_links_the_person(world, api, sms, settings, monkeypatch):
    delegation = _confirmed_by_code(api, world, sms)
    settings.BLIND_INDEX_KEY = NEW_KEY
    real = rotation.reindex
    done: list[str] = []

    def dies_after_the_delegations(spec: rotation.BlindIndex, **kwargs: Any) -> rotation.ReindexCount:
        if done:
            raise KeyboardInterrupt
        done.append(spec.model)
        return real(spec, **kwargs)

    monkeypatch.setattr(rotation, "reindex", dies_after_the_delegations)
    with pytest.raises(KeyboardInterrupt):
        call_command("rotate_keys", "--blind-index", stdout=StringIO())
    monkeypatch.setattr(rotation, "reindex", real)
    assert done == ["people.Delegation"]

    reindex(settings)
    delegation.refresh_from_db()
    assert delegation.consent_phone_index == phone_index(ASSISTED_PHONE)
    mine = _self_of(ASSISTED_PHONE)
    assert mine is not None
    assert mine.pk == delegation.person_id
