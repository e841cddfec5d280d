"""The API's bad-token limit per network (api/middleware.py `ApiTokenRateLimitMiddleware`).

Behind a carrier's NAT thousands of phones share one address. The limit counted expired access
tokens — which every app sends now and then before it refreshes (docs/api.md) — and was checked
before the request's own token, so 30 phones waking up with stale tokens made every valid token
from that address wait a minute (429).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from khaibao.accounts import ratelimit
from khaibao.accounts.access_tokens import access_token_sign
from khaibao.accounts.tokens import token_issue
from khaibao.core.testing import ApiLaneClient

NAT = "100.64.0.7"  # one carrier-grade NAT address
EXPIRED = 1_700_000_000  # 14/11/2023: long gone


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Iterator[None]:
    ratelimit.fallback_reset()
    yield
    ratelimit.fallback_reset()


def _me(token: str, ip: str = NAT) -> Any:
    return ApiLaneClient(REMOTE_ADDR=ip).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def _expired(world: Any, n: int) -> str:
    return access_token_sign(account_id=world.mai.pk, role="citizen", session_id=1000 + n, expires=EXPIRED)


def _forged(world: Any, n: int) -> str:
    good = access_token_sign(account_id=world.mai.pk, role="citizen", session_id=2000 + n, expires=4_000_000_000)
    return good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")


def test_expired_tokens_from_a_shared_address_do_not_refuse_a_valid_token(world: Any, settings: Any) -> None:
    settings.API_BAD_TOKEN_PER_IP_PER_MINUTE = 3
    value, _ = token_issue(account=world.lan, label="t")
    access = access_token_sign(account_id=world.lan.pk, role="citizen", session_id=1, expires=4_000_000_000)

    stale = [_me(_expired(world, n)).status_code for n in range(10)]

    # Each gets its 401 (the app refreshes), none 429: an expired token is not a scan.
    assert stale == [401] * 10
    assert _me(value).status_code == 200
    assert _me(access).status_code == 200
    # Nor did they count: a forged token is the first bad one.
    assert _me(_forged(world, 1)).status_code == 401


def test_forged_tokens_are_limited_but_never_refuse_a_valid_token(world: Any, settings: Any) -> None:
    settings.API_BAD_TOKEN_PER_IP_PER_MINUTE = 3
    value, _ = token_issue(account=world.lan, label="t")

    scans = [_me(token).status_code for token in (_forged(world, 1), "kb_not-a-real-token", "garbage", "kb_x")]

    assert scans == [401, 401, 401, 429]
    assert int(_me(_forged(world, 2))["Retry-After"]) > 0
    # A token that works, from the same address, is not refused for what others sent.
    assert _me(value).status_code == 200
    # An expired token from there still gets its 401, to refresh.
    assert _me(_expired(world, 1)).status_code == 401
    # Another network is not affected.
    assert _me(_forged(world, 3), ip="100.64.0.8").status_code == 401


def test_signed_out_tokens_do_not_count_as_bad(world: Any, api: Any, sms: Any, settings: Any) -> None:
    settings.API_BAD_TOKEN_PER_IP_PER_MINUTE = 2
    api.post("/auth/otp/request", {"phone": "0912345678"})
    pair = api.post("/auth/otp/verify", {"phone": "0912345678", "code": sms.last_code("+84912345678")}).json()
    token = pair["access_token"]
    assert api.post("/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204

    assert [_me(token).status_code for _ in range(4)] == [401] * 4
    assert _me("garbage").status_code == 401  # the first bad one: the signed-out ones did not count
