"""API bearer tokens: expiry, revocation, hashed at rest, and `manage.py issue_token`."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from khaibao.accounts.models import Account, ApiToken
from khaibao.accounts.tokens import token_issue


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def otp_token(api: Any, sms: Any, phone: str = "0900000001") -> str:
    """An opaque token of the kind apps got before decision 0008 (they keep working until they
    expire), for the account the sign-in code creates; the signed pair: test_access_tokens.py."""
    api.post("/auth/otp/request", {"phone": phone})
    e164 = "+84" + phone[1:]
    signed = api.post("/auth/otp/verify", {"phone": phone, "code": sms.last_code(e164)}).json()
    account = Account.objects.get(pk=int(signed["access_token"].split(".")[1]))
    value, _ = token_issue(account=account, label="otp")
    return value


def issue(*args: str) -> str:
    out = StringIO()
    call_command("issue_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_it_refuses_a_missing_or_unknown_token(api):
    for headers in [
        {},
        bearer("kb_not-a-real-token"),
        bearer("nonsense"),
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ]:
        resp = api.get("/me", headers=headers)
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "unauthorized"
        assert resp["WWW-Authenticate"] == "Bearer"


def test_it_expires_a_token_after_its_lifetime(world, api, sms, settings, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    token = otp_token(api, sms)
    time_machine.shift(timedelta(days=settings.API_TOKEN_TTL_DAYS) - timedelta(minutes=1))
    assert api.get("/me", headers=bearer(token)).status_code == 200

    time_machine.shift(timedelta(minutes=2))

    resp = api.get("/me", headers=bearer(token))
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"


def test_it_revokes_the_token_used_to_sign_out(world, api, sms, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    token = otp_token(api, sms)
    other = api.as_(world.lan).token  # the same citizen on another device

    resp = api.post("/auth/logout", headers=bearer(token))

    assert resp.status_code == 204
    assert api.get("/me", headers=bearer(token)).status_code == 401
    assert api.post("/auth/logout", headers=bearer(token)).status_code == 401
    assert api.get("/me", headers=bearer(other)).status_code == 200


def test_it_stores_tokens_only_as_hashes(world, api, sms):
    token = otp_token(api, sms)
    issued = issue("demo-checkpoint")

    rows = [str(row) for row in ApiToken.objects.values()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        raw = [str(row) for row in cursor.fetchall()]

    assert len(rows) == 2
    for value in (token, issued, token.removeprefix("kb_"), issued.removeprefix("kb_")):
        assert not any(value in row for row in rows + raw)


def test_it_does_not_accept_a_token_of_a_deactivated_account(world, api):
    client = api.as_(world.mai)
    world.mai.is_active = False
    world.mai.save()
    assert client.get("/me").status_code == 401


def test_it_issues_a_token_for_a_staff_account(world, api):
    token = issue("demo-checkpoint")

    assert token.startswith("kb_")
    me = api.get("/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["username"] == "demo-checkpoint"
    assert me.json()["role"] == "checkpoint"


def test_it_issues_a_token_with_a_label_and_lifetime(world, api, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    token = issue("demo-checkpoint", "--days", "2", "--label", "Gate 3 scanner")
    assert ApiToken.objects.filter(account=world.checkpoint, label="Gate 3 scanner").count() == 1

    time_machine.shift(timedelta(days=2) - timedelta(minutes=1))
    assert api.get("/me", headers=bearer(token)).status_code == 200
    time_machine.shift(timedelta(minutes=2))
    assert api.get("/me", headers=bearer(token)).status_code == 401


def test_it_prints_a_new_token_each_time(world):
    assert issue("demo-org") != issue("demo-org")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "No account with username 'nobody'"),
        (["0900000001"], "not a staff account"),
        (["demo-checkpoint", "--days", "0"], "--days must be between 1 and 3650"),
    ],
)
def test_it_refuses_to_issue_a_token_it_should_not(world, args, message):
    with pytest.raises(CommandError, match=message):
        issue(*args)
    assert not ApiToken.objects.exists()


def test_it_refuses_a_token_for_a_deactivated_staff_member(world):
    world.checkpoint.is_active = False
    world.checkpoint.save()
    with pytest.raises(CommandError, match="deactivated"):
        issue("demo-checkpoint")
