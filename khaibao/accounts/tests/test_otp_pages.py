"""Citizen sign-in by SMS code through the pages /sign-in/ and /sign-in/code/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from khaibao.accounts.models import OtpChallenge

E164 = "+84912345678"


@pytest.fixture
def client(db: Any) -> Client:
    return Client(headers={"Accept-Language": "en"})


def ask(client: Client, phone: str = "0912345678") -> Any:
    return client.post("/sign-in/", {"phone": phone})


def enter(client: Client, code: str) -> Any:
    return client.post("/sign-in/code/", {"code": code})


def signed_in_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_it_signs_a_citizen_in_through_the_pages(client, sms):
    page = client.get("/sign-in/")
    assert page.status_code == 200
    assert 'name="phone"' in page.content.decode()

    resp = ask(client)
    assert resp.status_code == 302
    assert resp["Location"] == "/sign-in/code/"
    page = client.get("/sign-in/code/")
    assert "+849•••••678" in page.content.decode()

    resp = enter(client, sms.last_code(E164))

    assert resp.status_code == 302
    assert resp["Location"] == "/"
    assert signed_in_id(client) is not None


def test_it_rotates_the_session_key_at_sign_in(client, sms):
    ask(client)
    before = client.session.session_key
    enter(client, sms.last_code(E164))
    assert client.session.session_key != before


def test_it_refuses_an_expired_code_on_the_page(client, sms, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    ask(client)
    code = sms.last_code(E164)
    time_machine.shift(timedelta(minutes=5, seconds=1))

    resp = enter(client, code)

    assert resp.status_code == 200
    assert "The code is wrong or has expired." in resp.content.decode()
    assert signed_in_id(client) is None


def test_it_spends_the_code_used_on_the_page(client, api, sms):
    ask(client)
    code = sms.last_code(E164)
    enter(client, code)
    assert signed_in_id(client) is not None

    resp = api.post("/auth/otp/verify", {"phone": E164, "code": code})

    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_code"


def test_it_refuses_the_right_code_after_five_wrong_ones_on_the_page(client, sms):
    ask(client)
    code = sms.last_code(E164)
    for _ in range(5):
        assert enter(client, wrong(code)).status_code == 200

    resp = enter(client, code)

    assert resp.status_code == 200
    page = resp.content.decode()
    assert "tried too many times and can no longer be used. Ask for a new code." in page
    assert 'action="/sign-in/code/new/"' in page
    assert signed_in_id(client) is None


def test_it_sends_a_new_code_to_the_waiting_phone(client, sms, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    ask(client)
    first = sms.last_code(E164)
    for _ in range(5):
        enter(client, wrong(first))
    time_machine.shift(timedelta(minutes=2))

    resp = client.post("/sign-in/code/new/", follow=True)

    assert "A new code was sent to +849•••••678." in resp.content.decode()
    assert OtpChallenge.objects.count() == 2
    assert enter(client, sms.last_code(E164)).status_code == 302
    assert signed_in_id(client) is not None


def test_it_asks_to_wait_before_a_second_code(client, sms):
    ask(client)

    resp = ask(client)

    assert resp.status_code == 429
    assert 1 <= int(resp["Retry-After"]) <= 60
    assert "Please wait" in resp.content.decode()
    assert len(sms.messages()) == 1


def test_it_answers_the_same_page_for_known_and_unknown_phones(world, sms):
    known = Client().post("/sign-in/", {"phone": "0900000001"})
    unknown = Client().post("/sign-in/", {"phone": "0912345678"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/sign-in/code/"


@pytest.mark.parametrize("typed", ["0912345678", "+84912345678", "84912345678", "0912 345 678"])
def test_it_normalises_the_number_typed_on_the_page(client, sms, typed):
    ask(client, typed)
    assert sms.messages()[-1]["to"] == E164
    enter(client, sms.last_code(E164))
    assert signed_in_id(client) is not None


@pytest.mark.parametrize("typed", ["12345", "+12025550100", "0912ABC678", ""])
def test_it_explains_a_number_it_cannot_use(client, sms, typed):
    resp = ask(client, typed)

    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'class="field-error"' in html
    assert 'value="' + typed + '"' in html or typed == ""  # keeps what the user typed
    assert sms.messages() == []
    assert not OtpChallenge.objects.exists()


def test_it_sends_the_code_page_back_to_step_one_without_a_phone(client):
    resp = client.get("/sign-in/code/")
    assert resp.status_code == 302
    assert resp["Location"] == "/sign-in/"
