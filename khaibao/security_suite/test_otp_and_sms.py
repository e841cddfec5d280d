"""One-time codes and SMS flooding (issue 8, suite item 5).

Brute force: whatever mix of channels (API, sign-in page) and addresses the guesses come from,
a code accepts at most OTP_MAX_ATTEMPTS (5) tries, then is spent. Concurrent guesses are tested
on PostgreSQL in khaibao/accounts/tests/test_otp_api.py
(test_it_counts_at_most_five_attempts_under_concurrent_guesses, each guess from its own
address). Flooding: one address gets OTP_IP_LIMIT_PER_HOUR codes an hour, whatever numbers it
asks for; many addresses together get OTP_SMS_GLOBAL_LIMIT_PER_HOUR codes an hour.
"""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.accounts.models import Account, OtpChallenge, Role
from khaibao.accounts.phones import phone_index

PHONE, E164 = "0912345678", "+84912345678"


def _api(path: str, body: dict[str, Any], ip: str) -> Any:
    return Client().post(f"/api/v1/auth/otp/{path}", body, content_type="application/json", REMOTE_ADDR=ip)


def _wrong(code: str, n: int) -> str:
    return f"{(int(code) + n) % 1_000_000:06d}"


def test_it_spends_a_code_after_five_guesses_from_any_mix_of_channels_and_addresses(db, sms):
    page = Client(REMOTE_ADDR="10.1.0.1")
    page.post("/sign-in/", {"phone": PHONE})
    code = sms.last_code(E164)

    for n in range(1, 9):
        if n % 2:
            assert _api("verify", {"phone": PHONE, "code": _wrong(code, n)}, f"10.2.0.{n}").status_code == 400
        else:
            page.post("/sign-in/code/", {"code": _wrong(code, n)})

    assert OtpChallenge.objects.get().attempts == 5
    assert _api("verify", {"phone": PHONE, "code": code}, "10.3.0.1").status_code == 400
    assert page.post("/sign-in/code/", {"code": code}).wsgi_request.user.is_authenticated is False


def test_it_sends_one_address_no_more_codes_than_its_hourly_limit(db, sms, settings):
    settings.OTP_IP_LIMIT_PER_HOUR = 7
    statuses = [_api("request", {"phone": f"09123450{n:02d}"}, "10.4.0.1").status_code for n in range(20)]

    assert statuses == [202] * 7 + [429] * 13
    assert len(sms.messages()) == 7


def test_it_sends_many_addresses_no_more_codes_than_the_global_budget(db, sms, settings):
    settings.OTP_SMS_GLOBAL_LIMIT_PER_HOUR = 10
    statuses = [_api("request", {"phone": f"09123460{n:02d}"}, f"10.5.{n}.1").status_code for n in range(25)]

    assert statuses.count(202) == 10
    assert statuses[10:] == [429] * 15
    assert len(sms.messages()) == 10
    assert OtpChallenge.objects.count() == 10


def test_it_spends_no_global_budget_on_requests_refused_by_the_cooldown(db, sms, settings):
    settings.OTP_SMS_GLOBAL_LIMIT_PER_HOUR = 2
    for n in range(5):
        _api("request", {"phone": PHONE}, f"10.6.{n}.1")  # one code, then four cooldown refusals

    assert _api("request", {"phone": "0912345600"}, "10.6.9.1").status_code == 202
    assert len(sms.messages()) == 2


def test_a_code_sent_to_a_phone_never_opens_a_staff_account(db, sms):
    # Staff sign in with a password and their authenticator; should a staff account ever hold a
    # phone, a code sent to it must get the wrong code's answer, not a staff token.
    Account.objects.create(username="official-with-phone", role=Role.DPO, phone=E164,
                           phone_index=phone_index(E164))
    assert _api("request", {"phone": PHONE}, "10.4.0.1").status_code in (200, 202)
    answer = _api("verify", {"phone": PHONE, "code": sms.last_code(E164)}, "10.4.0.1")

    assert answer.status_code == 400, answer.content
    assert "access_token" not in answer.json()
