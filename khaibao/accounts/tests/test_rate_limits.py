"""Rate limits: API tokens per token and per address, and what happens when the cache is down.

OTP request/verify, staff sign-in and report submission have their own tests beside their
features; here they are checked again with the shared cache (Redis) unreachable: the limits
must hold (per process), and nothing may answer 500.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

from khaibao.accounts import ratelimit
from khaibao.accounts.models import OtpChallenge
from khaibao.reports.models import Report
from khaibao.reports.tests.helpers import report_body, solve_pow

# Nothing listens on port 1: every cache call fails at once with "connection refused".
REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }
}


# The real Redis of the machine (CI has one), under a prefix of its own for each test.
def _redis_up(prefix: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": prefix,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }


@pytest.fixture(autouse=True)
def _fresh_fallback() -> Iterator[None]:
    ratelimit.fallback_reset()
    yield
    ratelimit.fallback_reset()


def assert_rate_limited(resp: Any) -> None:
    assert resp.status_code == 429
    assert int(resp["Retry-After"]) > 0
    assert resp.json()["error"]["code"] == "rate_limited"
    assert resp.json()["error"]["message"]


def test_it_limits_each_api_token(world, api, settings):
    settings.API_RATE_PER_TOKEN_PER_MINUTE = 3
    first, second = api.as_(world.lan), api.as_(world.lan)

    for _ in range(3):
        assert first.get("/me").status_code == 200
    assert_rate_limited(first.get("/me"))
    # Another token (another device of the same person) has its own budget.
    assert second.get("/me").status_code == 200


def test_it_limits_api_calls_per_address(world, api, settings):
    settings.API_RATE_PER_IP_PER_MINUTE = 3
    lan, mai = api.as_(world.lan), api.as_(world.mai)

    assert lan.get("/me").status_code == 200
    assert mai.get("/me").status_code == 200
    assert lan.get("/me").status_code == 200
    assert_rate_limited(mai.get("/me"))
    # Another address is not affected.
    assert mai.get("/me", REMOTE_ADDR="198.51.100.7").status_code == 200


def test_it_stops_an_address_that_tries_unknown_tokens(world, api, settings):
    settings.API_BAD_TOKEN_PER_IP_PER_MINUTE = 3
    guesser = Client(headers={"Authorization": "Bearer kb_not-a-real-token"})

    for _ in range(3):
        assert guesser.get("/api/v1/me").status_code == 401
    # More unknown tokens from that address now wait; a token that works is never refused for
    # what others at the address sent (carrier NAT), and another address is not affected.
    assert_rate_limited(guesser.get("/api/v1/me"))
    assert api.as_(world.lan).get("/me").status_code == 200
    assert guesser.get("/api/v1/me", REMOTE_ADDR="198.51.100.7").status_code == 401


def test_it_counts_in_this_process_when_the_cache_is_down(caplog):
    caplog.set_level(logging.WARNING, logger="khaibao.accounts.ratelimit")
    with override_settings(CACHES=REDIS_DOWN):
        counts = [ratelimit.hit("probe", window_seconds=60) for _ in range(3)]
        ratelimit.block("someone", seconds=60)
        blocked = ratelimit.is_blocked("someone")

    assert counts == [1, 2, 3]
    assert blocked
    assert ratelimit.fallback_active()
    assert "rate-limit cache unavailable" in caplog.text


def test_it_limits_code_requests_when_the_cache_is_down(db, settings, caplog):
    settings.OTP_IP_LIMIT_PER_HOUR = 2
    settings.OTP_COOLDOWN_SECONDS = 0
    with override_settings(CACHES=REDIS_DOWN):
        client = Client()
        answers = [
            client.post("/api/v1/auth/otp/request", {"phone": f"09123456{n:02d}"}, content_type="application/json")
            for n in range(3)
        ]

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert_rate_limited(answers[2])
    assert OtpChallenge.objects.count() == 2
    assert "rate-limit cache unavailable" in caplog.text


def test_it_locks_staff_sign_in_when_the_cache_is_down(world, settings):
    settings.STAFF_LOCKOUT_THRESHOLD = 3
    with override_settings(CACHES=REDIS_DOWN):
        client = Client(headers={"Accept-Language": "en"})
        wrong = [
            client.post("/staff/sign-in/", {"username": "demo-ward", "password": "wrong-password-1"}).status_code
            for _ in range(3)
        ]
        right = client.post("/staff/sign-in/", {"username": "demo-ward", "password": "khaibao-demo-2026"})

    assert wrong == [400, 400, 400]
    # The lock holds although Redis is gone: no open door.
    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_it_limits_api_tokens_when_the_cache_is_down(world, api, settings):
    settings.API_RATE_PER_TOKEN_PER_MINUTE = 2
    lan = api.as_(world.lan)
    with override_settings(CACHES=REDIS_DOWN):
        answers = [lan.get("/me") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]


def test_it_takes_anonymous_reports_when_the_cache_is_down(world, settings):
    settings.REPORT_RATE_PER_IP = 1
    client = Client()
    pow_payload = solve_pow(client)
    with override_settings(CACHES=REDIS_DOWN):
        first = client.post("/api/v1/reports", report_body(pow=pow_payload), content_type="application/json")
        replay = client.post("/api/v1/reports", report_body(pow=pow_payload), content_type="application/json")
        second = client.post("/api/v1/reports", report_body(pow=solve_pow(client)), content_type="application/json")

    assert first.status_code == 201
    # The spent proof of work is remembered in the fallback store: no replay.
    assert replay.status_code == 400
    assert "pow" in replay.json()["error"]["fields"]
    assert_rate_limited(second)
    assert Report.objects.count() == 1


def test_it_goes_back_to_the_shared_cache_after_the_outage(db, monkeypatch):
    with override_settings(CACHES=REDIS_DOWN):
        ratelimit.hit("probe", window_seconds=60)
    assert ratelimit.fallback_active()

    monkeypatch.setattr(ratelimit, "FALLBACK_SECONDS", 0)
    ratelimit._state["down_until"] = 0.0
    ratelimit.hit("shared", window_seconds=60)

    from django.core.cache import cache

    assert cache.get("rl:shared") == 1
    assert not ratelimit.fallback_active()


def test_it_counts_the_api_limits_in_redis_in_one_round_trip(world, api, settings):
    settings.API_RATE_PER_TOKEN_PER_MINUTE = 2
    settings.API_RATE_PER_IP_PER_MINUTE = 4
    lan, mai = api.as_(world.lan), api.as_(world.mai)
    with override_settings(CACHES=_redis_up(f"rl-test-{uuid.uuid4().hex}")):
        from django.core.cache import cache

        answers = [lan.get("/me").status_code for _ in range(3)]
        other_token = mai.get("/me").status_code
        address_spent = mai.get("/me").status_code  # the 5th request from this address
        assert not ratelimit.fallback_active()
        assert cache.get("rl:api-ip:127.0.0.1") == 5
        assert cache.ttl("rl:api-ip:127.0.0.1") <= 60
        hits, counts = ratelimit.hits_and_counts(hit=["probe"], peek=["api-ip:127.0.0.1", "nothing"],
                                                 window_seconds=60)
        assert (hits, counts) == ([1], [5, 0])
        cache.delete_pattern("*")  # type: ignore[attr-defined]  # django-redis: under this prefix only (clear() would empty the database other tests share)
    assert answers == [200, 200, 429]
    assert other_token == 200
    assert address_spent == 429
