"""Citizen sign-in by SMS code through the API (issue 2, part 5)."""

from __future__ import annotations

import threading
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from khaibao.accounts.models import Account, OtpChallenge
from khaibao.core.testing import at_once

PHONE = "0912345678"
E164 = "+84912345678"


def request_code(api: Any, phone: str = PHONE, **extra: Any) -> Any:
    return api.post("/auth/otp/request", {"phone": phone}, **extra)


def verify(api: Any, code: str, phone: str = PHONE) -> Any:
    return api.post("/auth/otp/verify", {"phone": phone, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_it_signs_a_citizen_in_with_the_code_from_the_sms(api, sms):
    resp = request_code(api)
    assert resp.status_code == 202
    assert resp.json()["expires_in"] == 300

    resp = verify(api, sms.last_code(E164))
    assert resp.status_code == 200
    body = resp.json()
    assert body["access_token"].startswith("kba.")
    assert body["refresh_token"].startswith("kbr_")
    assert body["token"] == body["access_token"]  # as apps written before the pair read it
    assert body["expires_at"] == body["access_expires_at"]
    me = api.get("/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["role"] == "citizen"


def test_it_refuses_an_expired_code(api, sms, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    request_code(api)
    code = sms.last_code(E164)

    time_machine.shift(timedelta(seconds=301))
    resp = verify(api, code)

    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_code"
    assert "code" in resp.json()["error"]["fields"]
    assert not Account.objects.filter(role="citizen").exists()


def test_it_accepts_a_code_just_before_it_expires(api, sms, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    request_code(api)
    time_machine.shift(timedelta(seconds=295))
    assert verify(api, sms.last_code(E164)).status_code == 200


def test_it_refuses_a_code_used_twice(api, sms):
    request_code(api)
    code = sms.last_code(E164)
    assert verify(api, code).status_code == 200

    resp = verify(api, code)

    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_code"


def test_it_refuses_the_right_code_after_five_wrong_ones(api, sms):
    request_code(api)
    code = sms.last_code(E164)
    for _ in range(5):
        assert verify(api, wrong(code)).status_code == 400

    resp = verify(api, code)

    assert resp.status_code == 400
    # Issue 17: the code is used up, and the answer says so (whatever is typed, so it gives nothing away).
    assert resp.json()["error"]["code"] == "code_used_up"
    assert "mã mới" in resp.json()["error"]["fields"]["code"]
    assert verify(api, wrong(code)).json()["error"]["code"] == "code_used_up"
    assert not Account.objects.filter(role="citizen").exists()


def test_it_accepts_the_right_code_after_four_wrong_ones(api, sms):
    request_code(api)
    code = sms.last_code(E164)
    for _ in range(4):
        verify(api, wrong(code))
    assert verify(api, code).status_code == 200


def test_it_keeps_only_the_newest_code(api, sms, time_machine, monkeypatch):
    # Two known, different codes: random ones could (once in a million) be equal.
    codes = iter([123456, 654321])
    monkeypatch.setattr("khaibao.accounts.one_time_codes.secrets.randbelow", lambda _n: next(codes))
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    request_code(api)
    first = sms.last_code(E164)
    time_machine.shift(timedelta(seconds=61))
    request_code(api)
    second = sms.last_code(E164)
    assert (first, second) == ("123456", "654321")

    assert verify(api, first).status_code == 400
    assert verify(api, second).status_code == 200


def test_it_makes_a_phone_wait_a_minute_between_codes(api, sms, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    assert request_code(api).status_code == 202
    time_machine.shift(timedelta(seconds=20))

    resp = request_code(api)

    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "rate_limited"
    assert resp["Retry-After"] == "40"
    assert len(sms.messages()) == 1
    # Another phone is not held back, and the first one may ask again after the minute.
    assert request_code(api, "0987654321").status_code == 202
    time_machine.shift(timedelta(seconds=41))
    assert request_code(api).status_code == 202
    assert len(sms.messages()) == 3


def test_it_answers_the_same_for_known_and_unknown_phones(world, api, sms):
    known = request_code(api, "0900000001")
    unknown = request_code(api, "0912345678")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert {m["to"] for m in sms.messages()} == {"+84900000001", "+84912345678"}

    known_again = request_code(api, "0900000001")
    unknown_again = request_code(api, "0912345678")
    assert known_again.status_code == unknown_again.status_code == 429
    assert known_again.json() == unknown_again.json()
    assert known_again["Retry-After"] == unknown_again["Retry-After"]


def test_it_signs_the_known_phone_into_its_existing_account(world, api, sms):
    request_code(api, "0900000001")
    token = verify(api, sms.last_code("+84900000001"), "0900000001").json()["token"]
    me = api.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["id"] == world.lan.pk


@pytest.mark.parametrize(
    "typed",
    ["0912345678", "+84912345678", "84912345678", "091 234 5678", " +84 912.345.678 ", "(+84) 912-345-678"],
)
def test_it_normalises_the_common_forms_of_a_number(api, sms, typed):
    assert request_code(api, typed).status_code == 202
    assert sms.messages()[-1]["to"] == E164
    assert verify(api, sms.last_code(E164), typed).status_code == 200


def test_it_finds_one_account_whichever_form_is_typed(api, sms, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    ids = set()
    for typed in ["0912345678", "+84912345678", "84912345678", "0912 345 678"]:
        assert request_code(api, typed).status_code == 202
        token = verify(api, sms.last_code(E164), typed).json()["token"]
        ids.add(api.get("/me", headers={"Authorization": f"Bearer {token}"}).json()["id"])
        time_machine.shift(timedelta(seconds=61))
    assert len(ids) == 1
    assert Account.objects.filter(role="citizen").count() == 1


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "12345", "091234567890123", "+12025550100", "0912ABC678", "phone", "+84", "00912345678x"],
)
def test_it_refuses_what_is_not_a_vietnamese_phone_number(api, sms, typed):
    resp = request_code(api, typed, headers={"Accept-Language": "en"})

    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "invalid_phone"
    assert "phone number" in error["fields"]["phone"]
    assert sms.messages() == []
    assert not OtpChallenge.objects.exists()


def test_it_refuses_a_code_that_is_not_six_digits(api, sms):
    request_code(api)
    resp = verify(api, "12a45")
    assert resp.status_code == 400
    assert "code" in resp.json()["error"]["fields"]
    # A malformed code does not spend one of the five attempts.
    assert OtpChallenge.objects.get().attempts == 0


def test_it_limits_code_requests_per_network(api, sms, settings):
    settings.OTP_IP_LIMIT_PER_HOUR = 3
    client = Client()

    def ask(phone: str, ip: str) -> Any:
        return client.post(
            "/api/v1/auth/otp/request", {"phone": phone}, content_type="application/json", REMOTE_ADDR=ip
        )

    for n in range(3):
        assert ask(f"091234567{n}", "10.0.0.1").status_code == 202
    resp = ask("0912345679", "10.0.0.1")

    assert resp.status_code == 429
    assert int(resp["Retry-After"]) > 0
    assert len(sms.messages()) == 3
    assert ask("0912345679", "10.0.0.2").status_code == 202


@pytest.mark.postgres_only
# serialized_rollback: the flush after a transactional test must leave the reference data
# (places, content types) restorable for the next one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_counts_at_most_five_attempts_under_concurrent_guesses(api, sms):
    request_code(api)
    code = sms.last_code(E164)
    guesses = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 13)]
    barrier = threading.Barrier(len(guesses))
    statuses: list[int] = []

    def guess(value: str, ip: str) -> None:
        # Each guess from its own address: the per-code limit must not lean on the per-IP one.
        try:
            barrier.wait(timeout=10)
            statuses.append(Client().post(
                "/api/v1/auth/otp/verify", {"phone": PHONE, "code": value}, content_type="application/json",
                REMOTE_ADDR=ip,
            ).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(g, f"10.9.0.{n}")) for n, g in enumerate(guesses, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert statuses == [400] * len(guesses)
    assert OtpChallenge.objects.get().attempts == 5
    # The code is spent: even the right one no longer works.
    assert verify(api, code).status_code == 400


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_sends_one_code_for_simultaneous_requests(api, sms):
    workers = 6
    clients = [type(api)() for _ in range(workers)]
    statuses = [answer.status_code for answer in at_once([partial(request_code, c) for c in clients])]

    assert sorted(statuses) == [202] + [429] * (workers - 1)
    assert len(sms.messages()) == 1
    assert OtpChallenge.objects.count() == 1
