"""Staff lockout per account and network (accounts/services.py `staff_authenticate`).

The lock after STAFF_LOCKOUT_THRESHOLD wrong passwords held for every address: five wrong guesses
from anywhere kept an official out of the console for a quarter of an hour, as often as anyone
liked. It now holds for the network the guesses came from (an IPv4 address or an IPv6 /64); the
account is locked everywhere only after STAFF_LOCKOUT_ACCOUNT_THRESHOLD failures in an hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from khaibao import demo
from khaibao.accounts import ratelimit
from khaibao.audit.models import AuditEvent


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Iterator[None]:
    ratelimit.fallback_reset()
    yield
    ratelimit.fallback_reset()


def _sign_in(ip: str, password: str = demo.DEMO_PASSWORD, username: str = "demo-ward") -> Any:
    client = Client(headers={"Accept-Language": "en"}, REMOTE_ADDR=ip)
    return client.post("/staff/sign-in/", {"username": username, "password": password})


def test_wrong_passwords_from_one_address_do_not_lock_the_official_out_elsewhere(world: Any) -> None:
    for _ in range(5):
        assert _sign_in("198.51.100.9", "wrong-guess-123").status_code == 400

    # The guesser's network is locked out of this account, with the right password too.
    refused = _sign_in("198.51.100.9")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 15 * 60
    # The official, on their own network, signs in.
    assert _sign_in("203.113.5.5").status_code == 302
    event = AuditEvent.objects.get(action="account.locked_account")
    assert event.data["where"] == "network"
    assert event.ip == "198.51.100.9"


def test_a_new_address_of_the_same_64_is_the_same_network(world: Any) -> None:
    for n in range(5):
        assert _sign_in(f"2001:db8:7:1::{n + 1:x}", "wrong-guess-123").status_code == 400

    assert _sign_in("2001:db8:7:1::ff").status_code == 429
    assert _sign_in("2001:db8:7:2::1").status_code == 302


def test_an_address_is_locked_for_every_account_after_its_own_threshold_per_64(world: Any) -> None:
    for n in range(20):
        assert _sign_in(f"2001:db8:9:1::{n + 1:x}", "wrong-guess-123", username=f"guess-{n}").status_code == 400

    assert _sign_in("2001:db8:9:1::ff", username="demo-checkpoint").status_code == 429
    assert _sign_in("2001:db8:9:2::1", username="demo-checkpoint").status_code == 302


def test_guesses_spread_over_many_networks_lock_the_account_for_the_networks_that_guessed(world: Any, settings: Any) -> None:
    settings.STAFF_LOCKOUT_ACCOUNT_THRESHOLD = 6
    for n in range(6):  # below the per-network threshold on each
        assert _sign_in(f"198.51.100.{n + 1}", "wrong-guess-123").status_code == 400

    assert _sign_in("198.51.100.1").status_code == 429  # a network that guessed: held, right password or not
    assert _sign_in("203.113.5.5").status_code == 302  # the official's own network: never locked out by others
    assert AuditEvent.objects.filter(action="account.locked_account", data__where="everywhere").count() == 1


def test_a_success_clears_only_its_own_networks_count(world: Any) -> None:
    for _ in range(4):
        _sign_in("198.51.100.9", "wrong-guess-123")
    assert _sign_in("198.51.100.9").status_code == 302
    for _ in range(4):
        assert _sign_in("198.51.100.9", "wrong-guess-123").status_code == 400
    assert _sign_in("198.51.100.9").status_code == 302
