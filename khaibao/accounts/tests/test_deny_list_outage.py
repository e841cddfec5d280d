"""A sign-out or an account closure during a Redis outage holds once Redis is back, on every server
(accounts/access_tokens.py, ratelimit.py `flag`; security finding p1)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from khaibao.accounts import access_tokens, ratelimit
from khaibao.accounts.models import Account
from khaibao.accounts.tasks import deny_list_rewrite
from khaibao.accounts.tests.redis_helpers import redis_caches

# Nothing listens on port 1: every cache call fails at once (as in test_rate_limits.py).
REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }
}


@pytest.fixture
def redis_up() -> Iterator[dict[str, Any]]:
    """The machine's Redis under a prefix of this test's own, emptied afterwards."""
    caches = redis_caches(15, "deny-outage")
    yield caches
    with override_settings(CACHES=caches):
        from django.core.cache import cache

        cache.delete_pattern("*")  # type: ignore[attr-defined]  # django-redis: under this prefix only (clear() would empty the database other tests share)


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Iterator[None]:
    ratelimit.fallback_reset()
    yield
    ratelimit.fallback_reset()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def redis_answers_again(*, grace_over: bool) -> None:
    """This process's fallback window has ended, as FALLBACK_SECONDS after the last failure; with
    `grace_over`, the database check's grace after it too."""
    back = ratelimit.FALLBACK_SECONDS + (ratelimit.DENY_LIST_GRACE_SECONDS + 1 if grace_over else 1)
    ratelimit._state["down_until"] = time.monotonic() - back


def another_server() -> None:
    """What an app server that did not serve the sign-out knows: nothing of this one's store."""
    ratelimit._local.clear()
    ratelimit._pending.clear()


def sign_out_during_outage(world: Any, api: Any, capture: Any) -> str:
    token = access_tokens.session_start(account=world.lan).access_token
    with override_settings(CACHES=REDIS_DOWN), capture(execute=True):
        assert api.post("/auth/logout", headers=bearer(token)).status_code == 204
    assert ratelimit.fallback_active()
    return token


def test_flag_says_whether_redis_took_it(db, redis_up):
    with override_settings(CACHES=redis_up):
        assert ratelimit.flag("probe-up", seconds=60) is True
    with override_settings(CACHES=REDIS_DOWN):
        assert ratelimit.flag("probe-down", seconds=60) is False


def test_a_sign_out_during_an_outage_reaches_redis_when_it_answers(world, api, redis_up,
                                                                   django_capture_on_commit_callbacks):
    token = sign_out_during_outage(world, api, django_capture_on_commit_callbacks)
    session_id = access_tokens.access_token_verify(token).session_id  # type: ignore[union-attr]
    with override_settings(CACHES=REDIS_DOWN):
        during = api.get("/me", headers=bearer(token)).status_code

    with override_settings(CACHES=redis_up):
        from django.core.cache import cache

        redis_answers_again(grace_over=True)
        after = api.get("/me", headers=bearer(token)).status_code
        in_redis = cache.get(f"rl:deny-session:{session_id}")
        assert not ratelimit.fallback_active()
        # What every other server reads from now on:
        another_server()
        elsewhere = api.get("/me", headers=bearer(token)).status_code

    assert during == 401
    assert in_redis == 1
    assert after == elsewhere == 401


def test_a_server_that_saw_redis_fail_checks_the_database(world, api, redis_up,
                                                         django_capture_on_commit_callbacks):
    token = sign_out_during_outage(world, api, django_capture_on_commit_callbacks)
    kept = access_tokens.session_start(account=world.lan).access_token  # another phone, still signed in
    another_server()  # its fallback store has no entry for this sign-out

    with override_settings(CACHES=REDIS_DOWN):
        during = api.get("/me", headers=bearer(token)).status_code
        other_phone = api.get("/me", headers=bearer(kept)).status_code
    with override_settings(CACHES=redis_up):
        redis_answers_again(grace_over=False)  # Redis is back, without the entry
        after = api.get("/me", headers=bearer(token)).status_code
        status = api.get(f"/people/{world.lan_self.id}/status", headers=bearer(token)).status_code  # the hot lane

    assert during == after == 401
    assert status == 401
    assert other_phone == 200


def test_the_minute_task_writes_revocations_again_from_the_database(world, api, redis_up,
                                                                   django_capture_on_commit_callbacks):
    with override_settings(CACHES=redis_up):
        deny_list_rewrite.call()  # the worker ran before the outage: the deny-list's marker is there
    token = sign_out_during_outage(world, api, django_capture_on_commit_callbacks)
    another_server()  # the server that signed out died before Redis came back

    with override_settings(CACHES=redis_up):
        redis_answers_again(grace_over=True)
        before = api.get("/me", headers=bearer(token)).status_code
        rewritten = deny_list_rewrite.call()
        after = api.get("/me", headers=bearer(token)).status_code

    assert before == 200  # what the task is for: nothing else knew
    assert rewritten == 1
    assert after == 401


def test_an_account_closed_during_an_outage_stays_closed(world, api, redis_up,
                                                        django_capture_on_commit_callbacks):
    token = access_tokens.session_start(account=world.lan).access_token
    account = Account.objects.get(pk=world.lan.pk)
    with override_settings(CACHES=REDIS_DOWN):
        assert api.get("/me", headers=bearer(token)).status_code == 200  # Redis fails here first
        with django_capture_on_commit_callbacks(execute=True):
            access_tokens.account_sessions_delete(account=account)
        here = api.get("/me", headers=bearer(token)).status_code
    with override_settings(CACHES=redis_up):
        redis_answers_again(grace_over=True)
        back = api.get("/me", headers=bearer(token)).status_code
        another_server()
        elsewhere = api.get("/me", headers=bearer(token)).status_code

    assert here == back == elsewhere == 401


def test_the_normal_path_reads_no_session_row(world, api, redis_up):
    token = access_tokens.session_start(account=world.lan).access_token
    with override_settings(CACHES=redis_up):
        deny_list_rewrite.call()  # the worker's minute task: the deny-list's marker is there
    with override_settings(CACHES=redis_up), CaptureQueriesContext(connection) as ctx:
        assert api.get("/me", headers=bearer(token)).status_code == 200
    assert not ratelimit.deny_list_unsure()
    assert "accounts_apisession" not in " ".join(q["sql"] for q in ctx.captured_queries)
