"""A delegation gives access only under a consent someone recorded (review-seams findings 2 and
10): no method means no consent, the rows from before methods were stored are named "legacy",
every delegation starts through the registration's checks, the demo world included, and the
consent code lives and is guessed as the settings of one-time codes say."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.utils import timezone

from khaibao.people import volunteers
from khaibao.people.access import visible_people
from khaibao.people.models import CONSENTED, ConsentMethod, Delegation
from khaibao.people.tests.test_volunteers_api import ASSISTED_PHONE, start
from khaibao.people.tests.test_volunteers_web import register_form, signed_in


def test_it_gives_no_access_through_a_delegation_without_a_consent_method(world: Any) -> None:
    delegation = Delegation.objects.create(volunteer=world.volunteer, person=world.mai_self)
    assert delegation.consent_method == ""
    assert "" not in CONSENTED
    assert not visible_people(world.volunteer).filter(pk=world.mai_self.pk).exists()


def test_it_starts_a_delegation_only_through_the_registration(world: Any) -> None:
    # The shortcut that recorded no consent, no witness and no check is gone.
    assert not hasattr(volunteers, "delegation_start")


def test_it_registers_the_demo_assisted_person_with_witnessed_consent(world: Any) -> None:
    delegation = Delegation.objects.get(person=world.ong_tu)
    assert delegation.consent_method == ConsentMethod.WITNESSED
    assert delegation.consent_witness
    assert delegation.consent_attested_at is not None


def test_it_names_the_older_rows_legacy_and_they_keep_their_access(world: Any) -> None:
    delegation = Delegation.objects.create(volunteer=world.volunteer, person=world.mai_self, consent_method="")
    migration = importlib.import_module("khaibao.people.migrations.0007_delegation_consent_explicit")

    migration.name_legacy_rows(apps, None)

    delegation.refresh_from_db()
    assert delegation.consent_method == ConsentMethod.LEGACY
    assert visible_people(world.volunteer).filter(pk=world.mai_self.pk).exists()
    assert Delegation.objects.get(person=world.ong_tu).consent_method == ConsentMethod.WITNESSED  # untouched


def test_it_takes_the_consent_codes_lifetime_from_the_settings(world: Any, api: Any, sms: Any, settings: Any,
                                                               time_machine: Any) -> None:
    settings.OTP_CODE_TTL_SECONDS = 10 * 60
    time_machine.move_to(timezone.now(), tick=False)
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    text = [m["body"] for m in sms.messages() if m["to"] == ASSISTED_PHONE][-1]
    assert re.search(r"\b10\b", text), text
    assert not re.search(r"\b5\b", text), text
    page = signed_in(world.volunteer).get(f"/volunteer/assisted/{body['id']}/confirm/")
    assert page.status_code == 200
    said = re.search(r"<p>[^<]*\b(\d+)\b[^<]*</p>", page.content.decode())
    assert said, page.content.decode()
    assert said.group(1) == "10"
    time_machine.shift(timedelta(seconds=301))  # past the old 5 minutes, within the setting's 10
    code = sms.last_code(ASSISTED_PHONE)
    resp = api.as_(world.volunteer).post(f"/volunteers/assisted/{body['id']}/confirm", {"code": code})
    assert resp.status_code == 200, resp.json()


def test_it_takes_the_consent_codes_tries_from_the_settings(world: Any, api: Any, sms: Any, settings: Any) -> None:
    settings.OTP_MAX_ATTEMPTS = 2
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    code = sms.last_code(ASSISTED_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    client = api.as_(world.volunteer)
    for _ in range(2):
        assert client.post(f"/volunteers/assisted/{body['id']}/confirm", {"code": wrong}).status_code == 400
    assert client.post(f"/volunteers/assisted/{body['id']}/confirm", {"code": code}).status_code == 400
    assert Delegation.objects.get(pk=body["id"]).consent_method == ConsentMethod.PENDING_CODE


def test_the_web_registration_still_records_witnessed_consent(world: Any) -> None:
    resp = signed_in(world.volunteer).post("/volunteer/register/", register_form(world))
    assert resp.status_code == 302
    assert Delegation.objects.get(person__full_name="Lê Thị Bảy").consent_method == ConsentMethod.WITNESSED
