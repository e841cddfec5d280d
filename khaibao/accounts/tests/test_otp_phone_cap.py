"""One phone gets at most OTP_PHONE_LIMIT_PER_HOUR (5) sign-in codes within an hour, whoever asks
and from however many addresses (an SMS flood aimed at one phone), on the API and the page alike,
and the answer is the same for a phone with an account and one without."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client

from khaibao.accounts import otp
from khaibao.accounts.models import Account, OtpChallenge
from khaibao.accounts.phones import phone_index

KNOWN, KNOWN_E164 = "0900000001", "+84900000001"  # Lan's phone (the demo world)
UNKNOWN, UNKNOWN_E164 = "0912345678", "+84912345678"
START = "2026-03-01 08:00:00+07:00"
# Past the 60-second cooldown between two codes to one phone.
STEP = timedelta(seconds=61)


def api_request(phone: str, ip: str) -> Any:
    return Client().post(
        "/api/v1/auth/otp/request", {"phone": phone}, content_type="application/json", REMOTE_ADDR=ip
    )


def page_request(phone: str, ip: str) -> Any:
    return Client(headers={"Accept-Language": "en"}).post("/sign-in/", {"phone": phone}, REMOTE_ADDR=ip)


def page(resp: Any) -> str:
    """The page without its per-request tokens (CSRF, CSP nonce)."""
    return re.sub(r'((?:csrfmiddlewaretoken" value|nonce)=")[^"]*', r"\1", resp.content.decode())


def sent_to(sms: Any, e164: str) -> int:
    return sum(1 for m in sms.messages() if m["to"] == e164)


def five_codes(ask: Any, time_machine: Any, *phones: str) -> None:
    """Five codes to each of `phones`, a minute apart, each request from a fresh address."""
    for n in range(5):
        for k, phone in enumerate(phones):
            assert ask(phone, f"10.{k}.{n}.1").status_code in (202, 302)
        time_machine.shift(STEP)


def test_it_refuses_a_sixth_code_to_one_phone_within_the_hour(db, sms, time_machine):
    time_machine.move_to(START, tick=False)
    five_codes(api_request, time_machine, UNKNOWN)

    resp = api_request(UNKNOWN, "10.9.9.1")

    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "rate_limited"
    # Until the first of the five is an hour old: it was sent 5 × 61 s ago.
    assert resp["Retry-After"] == str(3600 - 5 * 61)
    assert sent_to(sms, UNKNOWN_E164) == 5
    assert OtpChallenge.objects.filter(phone_index=phone_index(UNKNOWN_E164)).count() == 5


def test_it_keeps_other_phones_and_the_next_hour_free(db, sms, time_machine):
    time_machine.move_to(START, tick=False)
    five_codes(api_request, time_machine, UNKNOWN)
    assert api_request(UNKNOWN, "10.9.9.1").status_code == 429

    # Another phone, even from the very address refused, is not held back.
    assert api_request("0987654321", "10.9.9.1").status_code == 202

    # The window slides: once the first code is an hour old, one more code may go.
    time_machine.move_to("2026-03-01 09:00:01+07:00", tick=False)
    assert api_request(UNKNOWN, "10.9.9.2").status_code == 202
    assert api_request(UNKNOWN, "10.9.9.3").status_code == 429
    assert sent_to(sms, UNKNOWN_E164) == 6


def test_it_answers_the_sixth_request_the_same_for_a_registered_and_an_unregistered_phone(world, sms, time_machine):
    assert Account.objects.filter(phone_index=phone_index(KNOWN_E164)).exists()
    assert not Account.objects.filter(phone_index=phone_index(UNKNOWN_E164)).exists()
    time_machine.move_to(START, tick=False)
    five_codes(api_request, time_machine, KNOWN, UNKNOWN)

    known = api_request(KNOWN, "10.8.0.1")
    unknown = api_request(UNKNOWN, "10.8.0.2")

    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()
    assert known["Retry-After"] == unknown["Retry-After"]
    assert sent_to(sms, KNOWN_E164) == sent_to(sms, UNKNOWN_E164) == 5


def test_it_says_so_on_the_sign_in_page(world, sms, time_machine):
    time_machine.move_to(START, tick=False)
    five_codes(page_request, time_machine, KNOWN, UNKNOWN)

    known = page_request(KNOWN, "10.8.0.1")
    unknown = page_request(UNKNOWN, "10.8.0.2")

    assert known.status_code == unknown.status_code == 429
    assert known["Retry-After"] == unknown["Retry-After"] == str(3600 - 5 * 61)
    html = page(known)
    assert "This number was sent too many codes in the last hour. Try again in 55 minutes." in html
    # The same page but for the number typed, kept in the field.
    assert html.replace(f'value="{KNOWN}"', "") == page(unknown).replace(f'value="{UNKNOWN}"', "")
    assert sent_to(sms, KNOWN_E164) == sent_to(sms, UNKNOWN_E164) == 5


def test_it_counts_only_the_codes_that_left(db, sms, time_machine, monkeypatch):
    time_machine.move_to(START, tick=False)
    send = otp.send_code_sms
    monkeypatch.setattr(otp, "send_code_sms", lambda **kwargs: False)
    # The gateway never took it: the code is withdrawn, and so is its place under the cap.
    assert api_request(UNKNOWN, "10.7.0.1").status_code == 503
    monkeypatch.setattr(otp, "send_code_sms", send)

    five_codes(api_request, time_machine, UNKNOWN)

    assert sent_to(sms, UNKNOWN_E164) == 5
    assert api_request(UNKNOWN, "10.7.0.2").status_code == 429
