"""Per-address rate limits count an IPv6 caller's whole /64 (core/http.py `rate_key_of`).

One subscriber gets a /64 and may use a new address of it for every request: counted by the full
address, 60 sign-in code requests from one /64 all passed a limit of 30 and then the national
SMS cap refused every citizen in the country.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from khaibao.core.http import client_rate_key, rate_key_of
from khaibao.core.testing import ApiLaneClient
from khaibao.reports.tests.helpers import report_body, solve_pow

NETWORK = "2001:ee0:4f1:8d00"  # one /64


def _address(n: int) -> str:
    return f"{NETWORK}:{n:x}:{n * 7:x}:{n * 13:x}:{n + 1:x}"


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.113.1.1", "203.113.1.1"),
        ("2001:ee0:4f1:8d00::1", "2001:ee0:4f1:8d00::/64"),
        ("2001:EE0:4F1:8D00:ffff:1:2:3", "2001:ee0:4f1:8d00::/64"),
        ("2001:ee0:4f1:8d01::1", "2001:ee0:4f1:8d01::/64"),
        ("::ffff:203.113.1.1", "203.113.1.1"),  # IPv4-mapped: the IPv4 caller
        ("fe80::1%eth0", "fe80::/64"),
        ("unknown", "unknown"),
        ("not:an:address", "not:an:address"),
    ],
)
def test_it_counts_an_ipv6_caller_by_its_64_prefix(ip: str, key: str) -> None:
    assert rate_key_of(ip) == key


def test_it_keys_the_request_by_the_address_the_proxy_saw(rf: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"198.51.100.1, {_address(5)}")
    assert client_rate_key(request) == f"{NETWORK}::/64"


def _ask_code(ip: str, n: int) -> Any:
    return ApiLaneClient(REMOTE_ADDR=ip).post(
        "/api/v1/auth/otp/request", {"phone": f"09{12000000 + n:08d}"}, content_type="application/json"
    )


def test_a_new_address_of_the_same_64_does_not_get_more_sign_in_codes(db: Any, sms: Any, settings: Any) -> None:
    settings.OTP_IP_LIMIT_PER_HOUR = 3
    settings.OTP_SMS_GLOBAL_LIMIT_PER_HOUR = 5

    answers = [_ask_code(_address(n + 1), n).status_code for n in range(6)]

    assert answers == [202, 202, 202, 429, 429, 429]
    assert len(sms.messages()) == 3
    # The country's cap is left for everyone else: another network still gets its code.
    assert _ask_code("203.113.1.1", 99).status_code == 202


def test_an_ipv4_mapped_address_shares_its_ipv4_callers_limit(db: Any, sms: Any, settings: Any) -> None:
    settings.OTP_IP_LIMIT_PER_HOUR = 1
    assert _ask_code("203.113.1.1", 1).status_code == 202
    assert _ask_code("::ffff:203.113.1.1", 2).status_code == 429


def test_a_new_address_of_the_same_64_does_not_get_more_code_checks(db: Any, settings: Any) -> None:
    settings.OTP_IP_LIMIT_PER_HOUR = 1  # 5 checks an hour per network

    answers = [
        ApiLaneClient(REMOTE_ADDR=_address(n + 1)).post(
            "/api/v1/auth/otp/verify", {"phone": "0912000001", "code": "000000"}, content_type="application/json"
        ).status_code
        for n in range(6)
    ]

    assert 429 not in answers[:5]
    assert answers[5] == 429


def test_a_new_address_of_the_same_64_does_not_get_more_api_calls(world: Any, api: Any, settings: Any) -> None:
    settings.API_RATE_PER_IP_PER_MINUTE = 2
    lan = api.as_(world.lan)

    assert lan.get("/me", REMOTE_ADDR=_address(1)).status_code == 200
    assert lan.get("/me", REMOTE_ADDR=_address(2)).status_code == 200
    assert lan.get("/me", REMOTE_ADDR=_address(3)).status_code == 429
    assert lan.get("/me", REMOTE_ADDR="2001:ee0:4f1:8d01::1").status_code == 200


def test_a_new_address_of_the_same_64_does_not_send_more_reports(world: Any, settings: Any) -> None:
    settings.REPORT_RATE_PER_IP = 1

    def post(ip: str) -> Any:
        return Client().post(
            "/api/v1/reports", report_body(pow=solve_pow()), content_type="application/json", REMOTE_ADDR=ip
        )

    assert post(_address(1)).status_code == 201
    assert post(_address(2)).status_code == 429
    assert post("2001:ee0:4f1:8d01::1").status_code == 201
