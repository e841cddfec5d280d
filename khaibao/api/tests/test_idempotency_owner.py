"""Whose an Idempotency-Key is when the request carries no token (api/idempotency.py, `_owner`):
sign-in and refresh keep theirs under the credential they carry — the phone, the refresh token —
not under the client address. A mobile answer is most often lost when the phone changes network
(Wi-Fi to 4G): keyed by address, the refresh's retry ran again with its spent token, and after
30 s the session was revoked and a false `session.reuse` logged."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest

from khaibao.accounts import ratelimit
from khaibao.accounts.models import ApiSession
from khaibao.audit.models import AuditEvent
from khaibao.core.models import IdempotencyRecord

PHONE, E164 = "0900000001", "+84900000001"
WIFI, MOBILE = "198.51.100.10", "203.0.113.20"


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Any:
    ratelimit.fallback_reset()
    yield
    ratelimit.fallback_reset()


def _post(api: Any, path: str, body: dict[str, Any], *, key: str, ip: str, token: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} | ({"Authorization": f"Bearer {token}"} if token else {})
    return api.client.post(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers, REMOTE_ADDR=ip
    )


def _sign_in(api: Any, sms: Any) -> dict[str, Any]:
    assert _post(api, "/auth/otp/request", {"phone": PHONE}, key="otp-request", ip=WIFI).status_code == 202
    resp = _post(api, "/auth/otp/verify", {"phone": PHONE, "code": sms.last_code(E164)}, key="otp-verify", ip=WIFI)
    assert resp.status_code == 200, resp.content
    return resp.json()


def test_it_gives_a_refresh_retried_from_another_network_the_same_pair(world: Any, api: Any, sms: Any, time_machine: Any) -> None:
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    body = {"refresh_token": _sign_in(api, sms)["refresh_token"]}
    first = _post(api, "/auth/refresh", body, key="refresh-1", ip=WIFI)  # its answer is lost
    assert first.status_code == 200, first.content

    time_machine.move_to("2026-03-01 08:01:00+07:00", tick=False)  # past the 30 s race window
    retry = _post(api, "/auth/refresh", body, key="refresh-1", ip=MOBILE)

    assert retry.status_code == 200, retry.content
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert not AuditEvent.objects.filter(action="session.reuse").exists()
    assert not ApiSession.objects.filter(revoked_at__isnull=False).exists()


def test_it_keys_a_refresh_by_its_token_even_beside_a_stale_access_token(world: Any, api: Any, sms: Any) -> None:
    # An app may send its access token with every call: the first try had it, the retry not.
    pair = _sign_in(api, sms)
    body = {"refresh_token": pair["refresh_token"]}
    first = _post(api, "/auth/refresh", body, key="refresh-2", ip=WIFI, token=pair["access_token"])
    retry = _post(api, "/auth/refresh", body, key="refresh-2", ip=MOBILE)

    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()


def test_it_gives_a_sign_in_retried_from_another_network_the_same_tokens(world: Any, api: Any, sms: Any) -> None:
    assert _post(api, "/auth/otp/request", {"phone": PHONE}, key="otp-request", ip=WIFI).status_code == 202
    body = {"phone": PHONE, "code": sms.last_code(E164)}
    first = _post(api, "/auth/otp/verify", body, key="verify-1", ip=WIFI)
    retry = _post(api, "/auth/otp/verify", body, key="verify-1", ip=MOBILE)

    assert (first.status_code, retry.status_code) == (200, 200), retry.content
    assert retry.json() == first.json()
    assert ApiSession.objects.count() == 1


def test_it_sends_no_second_code_for_a_code_request_retried_from_another_network(world: Any, api: Any, sms: Any) -> None:
    first = _post(api, "/auth/otp/request", {"phone": PHONE}, key="request-1", ip=WIFI)
    retry = _post(api, "/auth/otp/request", {"phone": "+84900000001"}, key="request-1", ip=MOBILE)

    assert (first.status_code, retry.status_code) == (202, 422)  # another body (another spelling)
    again = _post(api, "/auth/otp/request", {"phone": PHONE}, key="request-1", ip=MOBILE)
    assert again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert len([m for m in sms.messages() if m["to"] == E164]) == 1


def test_it_still_refuses_another_code_under_the_same_key(world: Any, api: Any, sms: Any) -> None:
    assert _post(api, "/auth/otp/request", {"phone": PHONE}, key="otp-request", ip=WIFI).status_code == 202
    code = sms.last_code(E164)
    assert _post(api, "/auth/otp/verify", {"phone": PHONE, "code": code}, key="verify-2", ip=WIFI).status_code == 200

    other = _post(api, "/auth/otp/verify", {"phone": PHONE, "code": "000000" if code != "000000" else "111111"},
                  key="verify-2", ip=MOBILE)

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_it_never_hands_a_stored_pair_to_another_refresh_token(world: Any, api: Any, sms: Any) -> None:
    pair = _sign_in(api, sms)
    assert _post(api, "/auth/refresh", {"refresh_token": pair["refresh_token"]}, key="shared", ip=WIFI).status_code == 200

    # Someone else, same key, same address, another (made-up) refresh token: their own request.
    other = _post(api, "/auth/refresh", {"refresh_token": "kbr_" + "x" * 43}, key="shared", ip=WIFI)

    assert other.status_code == 401
    assert "access_token" not in other.content.decode()
    assert other.get("Idempotent-Replayed") is None


def test_it_never_hands_a_stored_sign_in_to_another_phone_nor_keeps_the_phone_in_clear(
    world: Any, api: Any, sms: Any
) -> None:
    assert _post(api, "/auth/otp/request", {"phone": PHONE}, key="otp-request", ip=WIFI).status_code == 202
    assert _post(api, "/auth/otp/verify", {"phone": PHONE, "code": sms.last_code(E164)}, key="k", ip=WIFI).status_code == 200

    other = _post(api, "/auth/otp/verify", {"phone": "0900000002", "code": "123456"}, key="k", ip=WIFI)

    assert other.status_code == 400  # its own answer: no code was sent to that phone
    owners = list(IdempotencyRecord.objects.values_list("owner", flat=True))
    assert all(owner.startswith("phone:") for owner in owners)
    assert not any("900000001" in owner for owner in owners)



# No test transaction around the request (the reference data kept): what is open is the request's.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_sends_a_keyed_sign_in_code_outside_the_keys_transaction(world: Any, api: Any) -> None:
    from django.db import connection

    from khaibao.accounts import otp

    seen: list[bool] = []
    real = otp.send_code_sms

    def send(**kw: Any) -> bool:
        seen.append(connection.in_atomic_block)
        return real(**kw)

    with mock.patch.object(otp, "send_code_sms", side_effect=send):
        first = _post(api, "/auth/otp/request", {"phone": PHONE}, key="outside-1", ip=WIFI)
        again = _post(api, "/auth/otp/request", {"phone": PHONE}, key="outside-1", ip=MOBILE)

    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (202, 202, "true")
    assert seen == [False]  # one SMS, sent once its code had committed
    assert IdempotencyRecord.objects.filter(key="outside-1").count() == 1


def test_another_code_under_a_sign_in_key_forgets_its_answer(world: Any, api: Any, sms: Any) -> None:
    # A phone is public: the same key with another code guessed at the code that opened the
    # session — "no" uncounted, the tokens for the right one. Now one guess per key, then nothing.
    assert _post(api, "/auth/otp/request", {"phone": PHONE}, key="otp-request", ip=WIFI).status_code == 202
    code = sms.last_code(E164)
    assert _post(api, "/auth/otp/verify", {"phone": PHONE, "code": code}, key="verify-2", ip=WIFI).status_code == 200
    wrong = "000000" if code != "000000" else "111111"

    guess = _post(api, "/auth/otp/verify", {"phone": PHONE, "code": wrong}, key="verify-2", ip=MOBILE)
    again = _post(api, "/auth/otp/verify", {"phone": PHONE, "code": code}, key="verify-2", ip=MOBILE)

    assert guess.status_code == 422
    assert guess.json()["error"]["code"] == "idempotency_key_reused"
    assert again.status_code == 400, again.content  # the used code, checked by the view: no tokens
    assert "access_token" not in again.json()
    assert ApiSession.objects.count() == 1


def test_a_retry_of_the_same_sign_in_still_gets_its_tokens_after_a_failed_guess_elsewhere(
    world: Any, api: Any, sms: Any
) -> None:
    # Only the key that was guessed at is forgotten.
    assert _post(api, "/auth/otp/request", {"phone": PHONE}, key="otp-request", ip=WIFI).status_code == 202
    body = {"phone": PHONE, "code": sms.last_code(E164)}
    first = _post(api, "/auth/otp/verify", body, key="verify-3", ip=WIFI)
    _post(api, "/auth/otp/verify", {"phone": PHONE, "code": "123456"}, key="verify-other", ip=MOBILE)
    retry = _post(api, "/auth/otp/verify", body, key="verify-3", ip=MOBILE)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()
