"""A Redis that restarts empty — nothing fails, redis-py reconnects — reopens no sign-out and no
closed account: the deny-list's marker is gone with the entries, so every server checks access
tokens in the database until the minute task writes both again (accounts/access_tokens.py,
ratelimit.py DENY_LIST_MARKER; fault test r5/b)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.db import connection, reset_queries
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.accounts import access_tokens, ratelimit, tokens
from khaibao.accounts.models import Account, ApiSession
from khaibao.accounts.tasks import deny_list_rewrite
from khaibao.accounts.tests.redis_helpers import redis_caches, redis_trips_counted
from khaibao.privacy.retention import retention_run

LAN_PHONE = "+84900000001"
MARKER = "rl:deny-list-epoch"  # ratelimit.DENY_LIST_MARKER


@pytest.fixture
def redis_up() -> Iterator[dict[str, Any]]:
    """The machine's Redis under a prefix of this test's own; only its keys are deleted after."""
    caches = redis_caches(14, "deny-restart")
    with override_settings(CACHES=caches):
        yield caches
        restart_empty()


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Iterator[None]:
    ratelimit.fallback_reset()
    yield
    ratelimit.fallback_reset()


def restart_empty() -> None:
    """What Redis holds after it restarted empty: none of this test's keys (the others' kept)."""
    from django.core.cache import cache

    cache.delete_pattern("*")  # type: ignore[attr-defined]  # django-redis: under this prefix only


def cached(key: str) -> Any:
    from django.core.cache import cache

    return cache.get(key)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def captured() -> CaptureQueriesContext:
    """The queries of a block, to read before the next request (which empties the log). The log
    is emptied first too: it keeps the last 9,000 only."""
    reset_queries()
    return CaptureQueriesContext(connection)


def session_reads(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "accounts_apisession" in q["sql"]]


def test_a_sign_out_holds_after_redis_restarts_empty(world, api, redis_up, django_capture_on_commit_callbacks):
    deny_list_rewrite.call()  # the worker has run: the marker is there, as in production
    token = access_tokens.session_start(account=world.lan).access_token
    kept = access_tokens.session_start(account=world.lan).access_token  # another phone
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/auth/logout", headers=bearer(token)).status_code == 204

    restart_empty()
    with captured() as checked:
        after_restart = api.get("/me", headers=bearer(token)).status_code
        other_phone = api.get("/me", headers=bearer(kept)).status_code
    checked_reads = session_reads(checked)  # now: the log is emptied by the next request
    rewritten = deny_list_rewrite.call()
    with captured() as from_redis:
        after_rewrite = api.get("/me", headers=bearer(token)).status_code
    redis_reads = session_reads(from_redis)

    assert not ratelimit.fallback_active()  # nothing failed: only the marker told
    assert after_restart == 401
    assert len(checked_reads) == 2  # each token checked in the database
    assert other_phone == 200  # the database check refuses only what is signed out
    assert rewritten == 1
    assert cached(MARKER)
    assert after_rewrite == 401
    assert redis_reads == []  # refused by the deny-list again


def test_the_hot_lane_checks_the_database_too_without_the_marker(world, api, redis_up,
                                                                  django_capture_on_commit_callbacks):
    deny_list_rewrite.call()
    token = access_tokens.session_start(account=world.lan).access_token
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/auth/logout", headers=bearer(token)).status_code == 204
    restart_empty()

    assert api.get(f"/people/{world.lan_self.id}/status", headers=bearer(token)).status_code == 401


def test_an_erased_accounts_token_stays_refused_after_redis_restarts_empty(world, api, sms, redis_up):
    deny_list_rewrite.call()
    pair = access_tokens.session_start(account=world.lan, label="Điện thoại của Lan")
    client = api.as_(world.lan)
    ask = client.post("/api/v1/privacy/erasure-codes", {"person_ids": [world.lan_self.id], "reason": "request"})
    assert ask.status_code == 201, ask.content
    confirm = client.post(f"/api/v1/privacy/erasure-codes/{ask.json()['id']}/confirm",
                          {"code": sms.last_code(LAN_PHONE)})
    assert confirm.json()["account_closed"] is True
    assert api.get("/me", headers=bearer(pair.access_token)).status_code == 401

    restart_empty()
    with captured() as checked:
        after_restart = api.get("/me", headers=bearer(pair.access_token)).status_code
    checked_reads = session_reads(checked)
    deny_list_rewrite.call()
    with captured() as from_redis:
        after_rewrite = api.get("/me", headers=bearer(pair.access_token)).status_code
    redis_reads = session_reads(from_redis)
    refreshed = api.post("/auth/refresh", {"refresh_token": pair.refresh_token}).status_code

    assert after_restart == 401
    assert len(checked_reads) == 1
    assert after_rewrite == 401
    assert redis_reads == []
    assert refreshed == 401
    session = ApiSession.objects.get(pk=pair.session.pk)
    assert session.revoked_at is not None
    assert session.label == ""  # the row keeps the account's id, nothing it said


def test_a_closed_accounts_sessions_are_revoked_and_go_with_retention(world, redis_up):
    signed_out = access_tokens.session_start(account=world.lan).session
    access_tokens.session_end(session_id=signed_out.pk, actor=world.lan)
    ended_before = ApiSession.objects.get(pk=signed_out.pk).revoked_at
    live = access_tokens.session_start(account=world.lan).session
    mai = access_tokens.session_start(account=world.mai).session
    account = Account.objects.get(pk=world.lan.pk)

    assert access_tokens.account_sessions_delete(account=account) == 2
    Account.objects.filter(pk=account.pk).update(is_active=False)
    assert ApiSession.objects.get(pk=signed_out.pk).revoked_at == ended_before  # kept as it was
    assert ApiSession.objects.get(pk=live.pk).revoked_at is not None
    assert access_tokens.deny_list_rewrite() == 2  # both within the deny-list's lifetime

    retention_run(now=timezone.now() + timedelta(hours=1))
    assert ApiSession.objects.filter(account=account).count() == 2  # the rewrite still needs them
    retention_run(now=timezone.now() + timedelta(days=2))
    assert not ApiSession.objects.filter(account=account).exists()
    assert ApiSession.objects.filter(pk=mai.pk).exists()


def test_a_session_of_a_deactivated_account_is_not_live(world):
    pair = access_tokens.session_start(account=world.lan)
    claims = access_tokens.access_token_verify(pair.access_token)
    assert claims is not None
    assert access_tokens.session_live(claims)
    Account.objects.filter(pk=world.lan.pk).update(is_active=False)
    assert not access_tokens.session_live(claims)


def test_with_the_marker_the_normal_path_is_one_redis_trip_and_no_query(world, api, redis_up, monkeypatch,
                                                                        django_assert_num_queries):
    deny_list_rewrite.call()
    token = access_tokens.session_start(account=world.lan).access_token
    assert api.get("/me", headers=bearer(token)).status_code == 200  # the script is known to Redis
    trips = redis_trips_counted(monkeypatch)
    request = RequestFactory().get("/api/v1/me", headers=bearer(token))
    with django_assert_num_queries(0):
        identity = tokens.request_identity(request)
    status_trips = list(trips)
    trips.clear()
    with captured() as ctx:
        status = api.get(f"/people/{world.lan_self.id}/status", headers=bearer(token)).status_code
    status_reads = session_reads(ctx)

    assert identity.account is not None
    assert identity.account.pk == world.lan.pk
    assert status_trips == ["EVALSHA"]  # the entries and the marker, read in one script (request_identity)
    assert status == 200
    assert trips == ["EVALSHA"]
    assert status_reads == []


def test_without_the_marker_the_same_read_is_unsure(world, redis_up, django_assert_num_queries):
    token = access_tokens.session_start(account=world.lan).access_token
    request = RequestFactory().get("/api/v1/me", headers=bearer(token))

    with django_assert_num_queries(1):  # no rewrite yet (a cold start): the session's row
        identity = tokens.request_identity(request)

    assert identity.account is not None
    assert not ratelimit.fallback_active()


def test_the_rewrite_writes_the_entries_and_the_marker_in_one_transaction(world, redis_up, monkeypatch):
    for _ in range(3):
        session = access_tokens.session_start(account=world.lan).session
        access_tokens.session_end(session_id=session.pk, actor=world.lan)
    restart_empty()
    stacks: list[list[str]] = []
    pipeline = redis.client.Pipeline.execute

    def counted_pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        stacks.append([str(c[0][0]) for c in self.command_stack])
        assert self.transaction
        return pipeline(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counted_pipeline)
    assert deny_list_rewrite.call() == 3

    assert len(stacks) == 1
    assert stacks[0] == ["SET"] * 4
    assert cached(MARKER)
