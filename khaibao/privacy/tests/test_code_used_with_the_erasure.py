"""The code confirming an erasure or a consent withdrawal is used up with what it starts (both or
neither; accounts/one_time_codes.py `code_consume`). It was consumed in a transaction of its own
first: a database failure in the erasure (503 "try again in a few seconds") spent the code and
started nothing, and the retry got 404 — the citizen had to ask for a new SMS."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import Client

from khaibao.core.tests.faults import fails_once, fresh_limiter  # noqa: F401 (a fixture)
from khaibao.privacy import services as privacy_services
from khaibao.privacy.models import ConsentWithdrawal, Erasure, ErasureCode

LAN_PHONE = "+84900000001"


pytestmark = pytest.mark.usefixtures("fresh_limiter")


@pytest.mark.parametrize("reason", ["consent_withdrawn", "request"])
def test_it_leaves_the_code_for_the_retry_when_the_erasure_fails(world: Any, sms: Any, reason: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.lan)
    code_url = client.post("/my-data/erase/", {"reason": reason, "person_ids": [world.lan_child.id]})["Location"]
    code = sms.last_code(LAN_PHONE)

    flaky = fails_once(privacy_services.erasing.processing_stop)
    with mock.patch.object(privacy_services.erasing, "processing_stop", side_effect=flaky):
        first = client.post(code_url, {"code": code})
        retry = client.post(code_url, {"code": code})

    assert first.status_code == 503
    assert retry.status_code == 302, retry.content
    assert Erasure.objects.filter(person_id=world.lan_child.id, reason=reason).count() == 1
    assert ConsentWithdrawal.objects.filter(person_id=world.lan_child.id).exists() == (reason == "consent_withdrawn")
    assert ErasureCode.objects.get().consumed_at is not None


def test_it_leaves_the_code_for_the_retry_of_the_api_when_the_erasure_fails(world: Any, api: Any, sms: Any) -> None:
    client = api.as_(world.lan)
    client.client.raise_request_exception = False
    asked = client.post("/privacy/erasure-codes", {"person_ids": [world.lan_child.id], "reason": "request"})
    assert asked.status_code == 201, asked.content
    confirm = f"/privacy/erasure-codes/{asked.json()['id']}/confirm"
    code = sms.last_code(LAN_PHONE)

    flaky = fails_once(privacy_services.erasing.processing_stop)
    with mock.patch.object(privacy_services.erasing, "processing_stop", side_effect=flaky):
        first = client.post(confirm, {"code": code})
        retry = client.post(confirm, {"code": code})

    assert first.status_code == 503
    assert retry.status_code in (200, 201, 202), retry.content
    assert Erasure.objects.filter(person_id=world.lan_child.id).count() == 1


def test_it_still_counts_a_wrong_guess_on_its_own(world: Any, api: Any, sms: Any) -> None:
    client = api.as_(world.lan)
    asked = client.post("/privacy/erasure-codes", {"person_ids": [world.lan_child.id], "reason": "request"})
    confirm = f"/privacy/erasure-codes/{asked.json()['id']}/confirm"
    code = sms.last_code(LAN_PHONE)
    wrong = "000000" if code != "000000" else "111111"

    assert client.post(confirm, {"code": wrong}).status_code == 400

    challenge = ErasureCode.objects.get()
    assert (challenge.attempts, challenge.consumed_at) == (1, None)
    assert not Erasure.objects.exists()
    assert client.post(confirm, {"code": code}).status_code in (200, 201, 202)
    assert ErasureCode.objects.get().attempts == 2
