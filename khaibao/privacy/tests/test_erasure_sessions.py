"""Closing an account on erasure: its sessions and tokens stop at once, nobody else's session is
read (review-scale #6: every live session was decoded in the citizen's request)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.accounts import access_tokens, ratelimit
from khaibao.privacy.retention import retention_run

LAN_PHONE = "+84900000001"
OTHER_SESSIONS = 2000


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Any:
    # The access tokens' deny-list lives in the rate limiter's store.
    ratelimit.fallback_reset()
    yield
    ratelimit.fallback_reset()


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every session decoded (`Session.get_decoded` and the session stores go through it)."""
    seen: list[str] = []
    original = SessionBase.decode

    def counting(self: SessionBase, session_data: str) -> dict[str, Any]:
        seen.append(session_data)
        return original(self, session_data)

    monkeypatch.setattr(SessionBase, "decode", counting)
    return seen


def _other_sessions(account: Any, n: int) -> None:
    data = SessionStore().encode({"_auth_user_id": str(account.pk), "_auth_user_backend": "x", "_auth_user_hash": "y"})
    expire = timezone.now() + timedelta(days=7)
    Session.objects.bulk_create(
        Session(session_key=secrets.token_hex(16), session_data=data, expire_date=expire) for _ in range(n)
    )


def _erase_self(client: Any, sms: Any, world: Any) -> Any:
    ask = client.post("/api/v1/privacy/erasure-codes", {"person_ids": [world.lan_self.id], "reason": "request"})
    assert ask.status_code == 201, ask.content
    return ask.json()["id"], sms.last_code(LAN_PHONE)


def test_it_closes_the_account_without_decoding_anyone_elses_session(world, api, sms, decodes):
    _other_sessions(world.mai, OTHER_SESSIONS)
    elsewhere = Client()
    elsewhere.force_login(world.lan)  # the holder's own web session, on another device
    client = api.as_(world.lan)
    code_id, code = _erase_self(client, sms, world)
    decodes.clear()

    with CaptureQueriesContext(connection) as ctx:
        confirm = client.post(f"/api/v1/privacy/erasure-codes/{code_id}/confirm", {"code": code})

    assert confirm.status_code == 202, confirm.content
    assert confirm.json()["account_closed"] is True
    assert decodes == []
    assert not [q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"]]
    # Bounded by the household's size, not by the sessions: 53 for Lan's three people today.
    assert len(ctx.captured_queries) < 100


def test_the_erased_accounts_session_and_tokens_stop_at_once(world, api, sms):
    web = Client()
    web.force_login(world.lan)
    assert web.get("/household/").status_code == 200
    opaque = api.as_(world.lan)
    pair = access_tokens.session_start(account=world.lan)
    signed = {"Authorization": f"Bearer {pair.access_token}"}
    assert api.get("/me", headers=signed).status_code == 200
    assert opaque.get("/me").status_code == 200

    code_id, code = _erase_self(opaque, sms, world)
    confirm = opaque.post(f"/api/v1/privacy/erasure-codes/{code_id}/confirm", {"code": code})
    assert confirm.json()["account_closed"] is True

    # The web session's row is still there (not looked for), and no longer signs anyone in.
    key = web.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    resp = web.get("/household/")
    assert resp.status_code == 302
    assert "/sign-in/" in resp["Location"]
    assert opaque.get("/me").status_code == 401
    assert api.get("/me", headers=signed).status_code == 401
    assert api.post("/auth/refresh", {"refresh_token": pair.refresh_token}).status_code == 401


def test_it_refuses_the_session_of_a_closed_account_even_with_its_old_hash(world, sms):
    """`ModelBackend.get_user` alone refuses it: the password hash is not the only guard."""
    web = Client()
    web.force_login(world.lan)
    world.lan.is_active = False
    world.lan.save(update_fields=["is_active"])  # the same password: the session's hash still matches

    assert web.get("/household/").status_code == 302
    assert web.get("/my-data/").status_code == 302


def test_retention_deletes_the_closed_accounts_sessions_once_expired(world, api, sms):
    web = Client()
    web.force_login(world.lan)
    key = web.cookies["sessionid"].value
    client = api.as_(world.lan)
    code_id, code = _erase_self(client, sms, world)
    client.post(f"/api/v1/privacy/erasure-codes/{code_id}/confirm", {"code": code})

    assert Session.objects.filter(session_key=key).exists()
    retention_run(now=Session.objects.get(session_key=key).expire_date + timedelta(minutes=1))

    assert not Session.objects.filter(session_key=key).exists()
