"""The account-wide staff lock holds the guessing networks only (accounts/services.py
`staff_authenticate`; security finding p9).

It held every network: five wrong passwords from each of ten IPv6 /64s refused an official's
right password everywhere, and one more wrong password an hour later locked it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from khaibao import demo
from khaibao.accounts import ratelimit
from khaibao.audit.models import AuditEvent

WRONG = "wrong-guess-123"


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Iterator[None]:
    ratelimit.fallback_reset()
    yield
    ratelimit.fallback_reset()


def _sign_in(ip: str, password: str = demo.DEMO_PASSWORD, username: str = "demo-province") -> int:
    client = Client(headers={"Accept-Language": "en"}, REMOTE_ADDR=ip)
    return client.post("/staff/sign-in/", {"username": username, "password": password}).status_code


def test_ten_ipv6_64s_do_not_lock_an_official_out(world: Any) -> None:
    # The tester's run, with the defaults: 5 wrong passwords from each of 10 /64s = 50.
    answers = [_sign_in(f"2001:db8:0:{net:x}::{i + 1}", WRONG) for net in range(10) for i in range(5)]
    assert set(answers) == {400}
    assert AuditEvent.objects.filter(action="account.locked_account", data__where="everywhere").count() == 1

    assert _sign_in("198.51.100.20") == 302  # the official's office
    assert _sign_in("203.0.113.99") == 302  # and home
    assert _sign_in("2001:db8:ffff:1::1") == 302  # an IPv6 network elsewhere
    # The guessers stay out, with the right password too.
    assert _sign_in("2001:db8:0:3::9") == 429


def test_the_lock_holds_the_networks_that_failed_and_a_new_64_of_their_48(world: Any, settings: Any) -> None:
    settings.STAFF_LOCKOUT_ACCOUNT_THRESHOLD = 6
    for n in range(5):
        assert _sign_in(f"198.51.100.{n + 1}", WRONG) == 400
    assert _sign_in("2001:db8:5:1::1", WRONG) == 400  # the 6th: locked for the guessers

    assert [_sign_in(f"198.51.100.{n + 1}") for n in range(5)] == [429] * 5
    assert _sign_in("2001:db8:5:1::1") == 429
    assert _sign_in("2001:db8:5:2::1", WRONG) == 429  # another /64 of the same /48: the same guesser
    assert _sign_in("203.113.5.5") == 302  # the official, from a network that never failed


def test_spread_guessing_gets_one_guess_per_fresh_network_while_locked(world: Any, settings: Any) -> None:
    settings.STAFF_LOCKOUT_ACCOUNT_THRESHOLD = 6
    for n in range(6):
        _sign_in(f"198.51.100.{n + 1}", WRONG)

    # Each new address is answered for one guess (400), then refused (429) before its password is checked.
    per_network = [[_sign_in(f"192.0.2.{n + 1}", WRONG) for _ in range(3)] for n in range(4)]
    per_48 = [[_sign_in(f"2001:db8:{n + 10:x}:{i:x}::1", WRONG) for i in range(3)] for n in range(3)]

    assert per_network == [[400, 429, 429]] * 4
    assert per_48 == [[400, 429, 429]] * 3
    # 6 + 4 + 3 guesses in the hour: the bound in `staff_authenticate`'s docstring.
    assert _sign_in("192.0.2.1") == 429


def test_a_failure_after_the_lock_ends_does_not_lock_the_official_out_again(world: Any, settings: Any,
                                                                            time_machine: Any) -> None:
    settings.STAFF_LOCKOUT_ACCOUNT_THRESHOLD = 6
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    for n in range(6):
        _sign_in(f"198.51.100.{n + 1}", WRONG)
    time_machine.shift(timedelta(minutes=16))  # the lock is over, the hour's count is not

    assert _sign_in("198.51.100.7", WRONG) == 400  # the count's 7th: locked again
    assert _sign_in("198.51.100.7") == 429
    assert _sign_in("203.113.5.5") == 302


def test_an_official_who_mistyped_then_signed_in_is_not_held(world: Any, settings: Any) -> None:
    settings.STAFF_LOCKOUT_ACCOUNT_THRESHOLD = 6
    assert _sign_in("203.113.5.5", WRONG) == 400
    assert _sign_in("203.113.5.5") == 302
    for n in range(6):
        _sign_in(f"198.51.100.{n + 1}", WRONG)

    assert _sign_in("203.113.5.5") == 302
