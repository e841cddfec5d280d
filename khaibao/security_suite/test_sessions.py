"""Sessions (issue 8, suite item 6): fixation, idle and absolute timeouts, sign-out.

A session key known before sign-in must be worthless after it; a staff session ends after 30
idle minutes and, however busy, STAFF_ABSOLUTE_TIMEOUT_SECONDS (12 h) after sign-in; signing
out (page or API) ends the session on the server, so a copied cookie or token stops working.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from khaibao import demo

COOKIE = settings.SESSION_COOKIE_NAME


def _key(client: Client) -> str | None:
    morsel = client.cookies.get(COOKIE)
    return morsel.value if morsel else None


def _staff_sign_in(client: Client, username: str) -> Any:
    return client.post("/staff/sign-in/", {"username": username, "password": demo.DEMO_PASSWORD})


def _with_cookie(key: str) -> Client:
    """Another browser presenting a stolen (or remembered) session cookie."""
    thief = Client()
    thief.cookies[COOKIE] = key
    return thief


def test_it_gives_a_citizen_a_new_session_key_at_sign_in(sec, sms):
    client = Client()
    client.post("/sign-in/", {"phone": "0900000001"})
    planted = _key(client)
    assert planted, "step one keeps the phone in a session"

    client.post("/sign-in/code/", {"code": sms.last_code("+84900000001")})

    assert client.session.get("_auth_user_id") == str(sec.accounts["citizen_owner"].pk)
    assert _key(client) != planted
    assert _with_cookie(planted).get("/household/").status_code == 302


def test_it_gives_staff_a_new_session_key_at_sign_in(sec):
    client = Client()
    client.get("/staff/sign-in/")
    client.cookies[COOKIE] = "attacker-chosen-session-key-0123456789"
    planted = _key(client)

    assert _staff_sign_in(client, "demo-checkpoint").status_code == 302

    assert _key(client) not in (None, planted)
    assert client.get("/staff/verify/").status_code == 200
    assert _with_cookie(planted).get("/staff/verify/")["Location"].startswith("/staff/sign-in/")


def test_it_keeps_an_official_at_the_second_factor_with_a_fresh_key(sec):
    client = Client()
    _staff_sign_in(client, "demo-ward")
    half = _key(client)
    device = TOTPDevice.objects.get(user=sec.accounts["ward_official"], confirmed=True)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"

    assert client.get("/staff/cases/")["Location"] == "/staff/2fa/"
    client.post("/staff/2fa/", {"code": code})

    assert client.get("/staff/cases/").status_code == 200
    assert _key(client) != half, "passing the second factor must rotate the key too"


def test_it_signs_staff_out_after_thirty_idle_minutes(sec, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client = Client()
    _staff_sign_in(client, "demo-checkpoint")
    time_machine.shift(timedelta(minutes=29))
    assert client.get("/staff/verify/").status_code == 200

    time_machine.shift(timedelta(minutes=31))

    assert client.get("/staff/verify/")["Location"] == "/staff/sign-in/"
    assert client.session.get("_auth_user_id") is None


def test_it_ends_a_busy_staff_session_twelve_hours_after_sign_in(sec, time_machine):
    assert settings.STAFF_ABSOLUTE_TIMEOUT_SECONDS == 12 * 60 * 60
    time_machine.move_to(timezone.now(), tick=False)
    client = Client()
    _staff_sign_in(client, "demo-checkpoint")
    for _ in range(11 * 3):  # a request every 20 minutes for 11 hours
        time_machine.shift(timedelta(minutes=20))
        assert client.get("/staff/verify/").status_code == 200
    time_machine.shift(timedelta(minutes=61))  # 12 h 1 min after sign-in, 1 min after the last request

    resp = client.get("/staff/verify/")

    assert resp["Location"] == "/staff/sign-in/"
    assert client.session.get("_auth_user_id") is None


def test_it_starts_the_absolute_clock_again_at_each_sign_in(sec, time_machine, settings):
    settings.STAFF_ABSOLUTE_TIMEOUT_SECONDS = 60 * 60
    time_machine.move_to(timezone.now(), tick=False)
    client = Client()
    _staff_sign_in(client, "demo-checkpoint")
    time_machine.shift(timedelta(minutes=25))
    client.get("/staff/verify/")
    time_machine.shift(timedelta(minutes=25))
    client.post("/staff/sign-out/")
    _staff_sign_in(client, "demo-checkpoint")
    time_machine.shift(timedelta(minutes=25))

    assert client.get("/staff/verify/").status_code == 200


def test_it_kills_the_staff_session_on_the_server_at_sign_out(sec):
    client = Client()
    _staff_sign_in(client, "demo-checkpoint")
    key = _key(client)
    assert key
    assert Session.objects.filter(session_key=key).exists()

    client.post("/staff/sign-out/")

    assert not Session.objects.filter(session_key=key).exists()
    assert _with_cookie(key).get("/staff/verify/")["Location"].startswith("/staff/sign-in/")


def test_it_kills_the_citizen_session_on_the_server_at_sign_out(sec, sms):
    client = Client()
    client.post("/sign-in/", {"phone": "0900000002"})
    client.post("/sign-in/code/", {"code": sms.last_code("+84900000002")})
    key = _key(client)
    assert _with_cookie(key).get("/household/").status_code == 200

    client.post("/sign-out/")

    assert not Session.objects.filter(session_key=key).exists()
    assert _with_cookie(key).get("/household/").status_code == 302


def test_it_revokes_the_api_token_at_logout(sec, api, sms):
    api.post("/auth/otp/request", {"phone": "0900000005"})
    token = api.post("/auth/otp/verify", {"phone": "0900000005", "code": sms.last_code("+84900000005")}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/me", headers=headers).status_code == 200

    assert api.post("/auth/logout", {}, headers=headers).status_code == 204

    assert api.get("/me", headers=headers).status_code == 401
