"""A sign-in code is used up with the sign-in it opens (both or neither; signin/services.py). It was
consumed in a transaction of its own first: a database failure afterwards (503 "try again") spent
the code, and the retry was told the code was wrong."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import Client

from khaibao.accounts.models import ApiSession, OtpChallenge
from khaibao.api import auth_endpoints
from khaibao.core.tests.faults import fails_once, fresh_limiter  # noqa: F401 (a fixture)
from khaibao.signin import services as signin_services

PHONE, E164 = "0900000001", "+84900000001"


pytestmark = pytest.mark.usefixtures("fresh_limiter")


def test_it_leaves_the_code_for_the_retry_when_the_session_cannot_be_opened(world: Any, api: Any, sms: Any) -> None:
    api.client.raise_request_exception = False
    assert api.post("/auth/otp/request", {"phone": PHONE}).status_code == 202
    body = {"phone": PHONE, "code": sms.last_code(E164)}

    with mock.patch.object(auth_endpoints, "session_start", side_effect=fails_once(auth_endpoints.session_start)):
        first = api.post("/auth/otp/verify", body)
        retry = api.post("/auth/otp/verify", body)

    assert first.status_code == 503
    assert retry.status_code == 200, retry.content
    assert ApiSession.objects.count() == 1
    assert OtpChallenge.objects.get().consumed_at is not None


def test_it_leaves_the_code_for_the_retry_of_the_web_sign_in(world: Any, sms: Any) -> None:
    client = Client(raise_request_exception=False)
    assert client.post("/sign-in/", {"phone": PHONE}).status_code == 302
    code = sms.last_code(E164)

    flaky = fails_once(signin_services.citizen_links_refresh)
    with mock.patch.object(signin_services, "citizen_links_refresh", side_effect=flaky):
        first = client.post("/sign-in/code/", {"code": code})
        retry = client.post("/sign-in/code/", {"code": code})

    assert first.status_code == 503
    assert retry.status_code == 302, retry.content
    assert client.get("/").wsgi_request.user.is_authenticated


def test_it_still_counts_a_wrong_guess_on_its_own(world: Any, api: Any, sms: Any) -> None:
    assert api.post("/auth/otp/request", {"phone": PHONE}).status_code == 202
    code = sms.last_code(E164)
    wrong = "000000" if code != "000000" else "111111"

    assert api.post("/auth/otp/verify", {"phone": PHONE, "code": wrong}).status_code == 400
    assert (OtpChallenge.objects.get().attempts, OtpChallenge.objects.get().consumed_at) == (1, None)

    assert api.post("/auth/otp/verify", {"phone": PHONE, "code": code}).status_code == 200
    again = api.post("/auth/otp/verify", {"phone": PHONE, "code": code})
    assert again.status_code == 400  # used once, never twice
