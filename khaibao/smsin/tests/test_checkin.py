"""`CHECKIN <code>` by SMS (issue 20): a feature phone checks in at a venue through the signed
webhook, with the same service, rules and refusals as the app."""

from __future__ import annotations

from typing import Any

from khaibao.people.models import Person
from khaibao.people.persons import id_number_index
from khaibao.smsin.tests.helpers import CCCD, REGISTER, Gateway
from khaibao.venues.models import CheckIn, VenueStatus
from khaibao.venues.services import VenueInput, venue_register


def _venue(world: Any) -> Any:
    return venue_register(actor=world.nam, data=VenueInput(name="Cho Hang Da", kind="market", ward_code=70, street="Hang Da"))


def test_it_checks_the_sender_in_by_sms(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    venue = _venue(world)
    spaced = f"{venue.code[:3]} {venue.code[3:]}".lower()

    reply = gateway.reply(f"check in {spaced}")

    assert "NGUYEN VAN AN" in reply.upper()
    assert "Cho Hang Da" in reply
    person = Person.objects.get(id_number_index=id_number_index(CCCD))
    (checkin,) = CheckIn.objects.filter(person=person)
    assert checkin.via == "sms"
    # A repeat within minutes is the same check-in.
    gateway.reply(f"CHECKIN {venue.code}")
    assert CheckIn.objects.filter(person=person).count() == 1


def test_it_refuses_an_unknown_or_suspended_code_by_sms(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    venue = _venue(world)
    venue.status = VenueStatus.SUSPENDED
    venue.save()
    for code in ("ZZZ999", venue.code):
        reply = gateway.reply(f"CHECKIN {code}")
        assert code in reply  # "no venue has the code …, or it is closed"
    assert not CheckIn.objects.exists()
    assert "CHECKIN" in gateway.reply("CHECKIN")


def test_it_asks_an_unregistered_phone_to_register_first(world: Any, gateway: Gateway) -> None:
    venue = _venue(world)
    reply = gateway.reply(f"CHECKIN {venue.code}")
    assert "KB <CCCD>" in reply
    assert not CheckIn.objects.exists()
