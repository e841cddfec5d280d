"""Signed access tokens and refresh tokens (decision 0008, option B; docs/api.md "Tokens")."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.accounts import access_tokens, ratelimit
from khaibao.accounts.models import Account, ApiSession
from khaibao.accounts.tests.redis_helpers import redis_trips_counted
from khaibao.audit.models import AuditEvent

PHONE, E164 = "0900000001", "+84900000001"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(api: Any, sms: Any) -> dict[str, Any]:
    api.post("/auth/otp/request", {"phone": PHONE})
    resp = api.post("/auth/otp/verify", {"phone": PHONE, "code": sms.last_code(E164)})
    assert resp.status_code == 200, resp.content
    return resp.json()


def refresh(api: Any, value: str) -> Any:
    return api.post("/auth/refresh", {"refresh_token": value})


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Any:
    ratelimit.fallback_reset()
    yield
    ratelimit.fallback_reset()


def test_it_signs_in_with_a_pair_and_reads_no_token_row(world, api, sms):
    pair = sign_in(api, sms)

    with CaptureQueriesContext(connection) as ctx:
        resp = api.get(f"/people/{world.lan_self.id}/status", headers=bearer(pair["access_token"]))

    assert resp.status_code == 200, resp.content
    tables = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "accounts_apitoken" not in tables
    assert "accounts_apisession" not in tables
    assert "accounts_account" not in tables  # id and role come from the signed token
    assert pair["refresh_token"].startswith("kbr_")
    session = ApiSession.objects.get(account=world.lan)
    assert session.refresh_hash != pair["refresh_token"]  # only its hash is stored
    assert AuditEvent.objects.filter(action="session.start", object_id=str(session.pk)).count() == 1


def test_an_access_token_lasts_fifteen_minutes_and_a_refresh_renews_it(world, api, sms, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    pair = sign_in(api, sms)
    time_machine.shift(timedelta(minutes=14, seconds=59))
    assert api.get("/me", headers=bearer(pair["access_token"])).status_code == 200

    time_machine.shift(timedelta(seconds=2))
    expired = api.get("/me", headers=bearer(pair["access_token"]))
    renewed = refresh(api, pair["refresh_token"])

    assert expired.status_code == 401
    assert renewed.status_code == 200, renewed.content
    fresh = renewed.json()
    assert fresh["refresh_token"] != pair["refresh_token"]
    assert api.get("/me", headers=bearer(fresh["access_token"])).json()["id"] == world.lan.pk


def test_a_refresh_token_works_once(world, api, sms, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    pair = sign_in(api, sms)
    first = refresh(api, pair["refresh_token"]).json()

    again = refresh(api, pair["refresh_token"])  # a second request of the same app, at once

    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_refresh_token"
    # Within the race window the session lives on: the app uses the newer refresh token.
    assert refresh(api, first["refresh_token"]).status_code == 200


def test_a_used_refresh_token_that_comes_back_later_ends_the_session(world, api, sms, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    pair = sign_in(api, sms)
    first = refresh(api, pair["refresh_token"]).json()
    time_machine.shift(timedelta(minutes=5))

    stolen = refresh(api, pair["refresh_token"])

    assert stolen.status_code == 401
    assert refresh(api, first["refresh_token"]).status_code == 401  # the session is over
    assert api.get("/me", headers=bearer(first["access_token"])).status_code == 401  # at once
    assert AuditEvent.objects.filter(action="session.reuse").count() == 1


def test_signing_out_stops_the_access_token_at_once(world, api, sms, django_capture_on_commit_callbacks):
    pair = sign_in(api, sms)
    other = {"access_token": access_tokens.session_start(account=world.lan).access_token}  # another phone

    resp = api.post("/auth/logout", headers=bearer(pair["access_token"]))

    assert resp.status_code == 204
    assert api.get("/me", headers=bearer(pair["access_token"])).status_code == 401
    assert refresh(api, pair["refresh_token"]).status_code == 401
    assert api.get("/me", headers=bearer(other["access_token"])).status_code == 200
    assert AuditEvent.objects.filter(action="session.end").count() == 1


def test_a_closed_account_stops_at_once(world, api, sms, django_capture_on_commit_callbacks):
    pair = sign_in(api, sms)
    account = Account.objects.get(pk=world.lan.pk)

    with django_capture_on_commit_callbacks(execute=True):
        access_tokens.account_sessions_delete(account=account)

    assert api.get("/me", headers=bearer(pair["access_token"])).status_code == 401
    assert refresh(api, pair["refresh_token"]).status_code == 401


def test_a_deactivated_account_cannot_refresh(world, api, sms):
    pair = sign_in(api, sms)
    Account.objects.filter(pk=world.lan.pk).update(is_active=False)

    assert refresh(api, pair["refresh_token"]).status_code == 401


@pytest.mark.parametrize("tamper", ["role", "account", "signature", "expiry"])
def test_it_refuses_a_tampered_token(world, api, sms, tamper):
    token = sign_in(api, sms)["access_token"]
    prefix, account, role, session, expires, kid, mac = token.split(".")
    changed = {
        "role": [prefix, account, "official", session, expires, kid, mac],
        "account": [prefix, str(world.mai.pk), role, session, expires, kid, mac],
        "signature": [prefix, account, role, session, expires, kid, mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB")],
        "expiry": [prefix, account, role, session, str(int(expires) + 3600), kid, mac],
    }[tamper]

    resp = api.get("/me", headers=bearer(".".join(changed)))

    assert resp.status_code == 401


def test_a_retired_key_verifies_until_it_is_removed(world, api, settings):
    old, new = "o" * 40, "n" * 40
    settings.API_ACCESS_TOKEN_KEYS = [old]
    signed_with_old = access_tokens.session_start(account=world.lan).access_token

    settings.API_ACCESS_TOKEN_KEYS = [new, old]  # rotation: the new key signs, the old verifies
    fresh = access_tokens.session_start(account=world.lan).access_token
    assert api.get("/me", headers=bearer(signed_with_old)).status_code == 200
    assert api.get("/me", headers=bearer(fresh)).status_code == 200
    assert fresh.split(".")[5] != signed_with_old.split(".")[5]  # another key id

    settings.API_ACCESS_TOKEN_KEYS = [new]
    assert api.get("/me", headers=bearer(signed_with_old)).status_code == 401
    assert api.get("/me", headers=bearer(fresh)).status_code == 200


def test_an_opaque_token_from_before_keeps_working(world, api):
    legacy = api.as_(world.lan)  # an opaque kb_ token, as apps had before the pair
    assert legacy.token.startswith("kb_")

    assert legacy.get("/me").status_code == 200


# The machine's Redis (db 6 is this feature's own), under a prefix of its own for each test.
def _redis(prefix: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/6",
            "KEY_PREFIX": prefix,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }


def test_the_deny_list_is_read_with_the_rate_limits_in_one_redis_round_trip(world, api, sms, monkeypatch):
    with override_settings(CACHES=_redis(f"deny-test-{uuid.uuid4().hex}")):
        from django.core.cache import cache

        pair = sign_in(api, sms)
        redis.Redis(db=6).script_flush()  # the first request after a flush also sends the script whole
        trips = redis_trips_counted(monkeypatch)
        first = api.get(f"/people/{world.lan_self.id}/status", headers=bearer(pair["access_token"]))
        first_request = list(trips)
        trips.clear()
        ok = api.get(f"/people/{world.lan_self.id}/status", headers=bearer(pair["access_token"]))
        one_request = list(trips)

        trips.clear()
        signed_out = api.post("/auth/logout", headers=bearer(pair["access_token"]))
        denied = api.get("/me", headers=bearer(pair["access_token"]))
        assert not ratelimit.fallback_active()
        cache.delete_pattern("*")  # type: ignore[attr-defined]  # django-redis: under this prefix only (clear() would empty the database other tests share)

    assert first.status_code == ok.status_code == 200
    # Two counters (INCR + EXPIRE NX each) and three reads (bad tokens, session, account): one
    # script, one trip (ratelimit.py); Redis knows it by its hash after the first time.
    assert first_request == ["EVALSHA", "EVAL"]
    assert one_request == ["EVALSHA"]
    assert signed_out.status_code == 204
    assert denied.status_code == 401


def test_a_daily_update_reads_no_account_and_labels_the_audit_event_by_id(world, api, sms):
    pair = sign_in(api, sms)
    day = timezone.localdate().isoformat()  # only today or yesterday may be sent

    with CaptureQueriesContext(connection) as ctx:
        resp = api.put(f"/people/{world.lan_self.id}/updates/{day}", {"symptoms": [], "feeling": "well"},
                       headers=bearer(pair["access_token"]))

    assert resp.status_code in (200, 201), resp.content
    assert "accounts_account" not in " ".join(q["sql"] for q in ctx.captured_queries)
    event = AuditEvent.objects.filter(action__startswith="daily_update.").latest("id")
    assert event.actor_id == world.lan.pk
    assert event.actor_label == f"account {world.lan.pk}"


def test_a_refresh_retried_with_its_key_gets_the_same_pair(world, api, sms, time_machine):
    """The answer to a refresh was lost: the app retries with the same Idempotency-Key and gets
    the pair already issued — not a reuse of the spent refresh token (docs/api.md's key table)."""
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    pair = sign_in(api, sms)
    body = {"refresh_token": pair["refresh_token"]}
    first = api.post("/auth/refresh", body, headers={"Idempotency-Key": "refresh-1"})
    time_machine.move_to("2026-03-01 08:01:00+07:00", tick=False)  # past the race window

    retry = api.post("/auth/refresh", body, headers={"Idempotency-Key": "refresh-1"})

    assert first.status_code == retry.status_code == 200
    assert retry.json()["refresh_token"] == first.json()["refresh_token"]
    assert refresh(api, first.json()["refresh_token"]).status_code == 200  # the session lives on
    assert not AuditEvent.objects.filter(action="session.reuse").exists()
