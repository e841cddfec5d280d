"""A consent code the gateway does not take is not a code the volunteer waits for in vain: it is
retried briefly as a sign-in code is, and when it still does not leave the volunteer's page says
so and offers a new one, which is not held back by the cooldown (writer K, fault 2)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.test import Client

from khaibao.accounts import sms as accounts_sms
from khaibao.core.models import OpsCounter
from khaibao.people.models import Delegation
from khaibao.people.tests.test_volunteers_web import register_form, signed_in
from khaibao.people.volunteers import assisted_person_start

PHONE = "+84912000111"
NOT_WAITING = "Không có mã nào đang chờ"


@contextmanager
def _gateway_down(settings: Any) -> Iterator[mock.Mock]:
    """The HTTP gateway failing every call while inside; the test's file outbox after."""
    settings.SMS_BACKEND, settings.OTP_SMS_ATTEMPTS = "http", 2
    try:
        with mock.patch.object(accounts_sms, "_send_http", side_effect=accounts_sms.SmsError("gateway down")) as http:
            yield http
    finally:
        settings.SMS_BACKEND = "file"


def _register(page: Client, world: Any) -> Any:
    return page.post("/volunteer/register/", register_form(
        world, consent_method="code", phone="0912000111", witness_name="", attested=""
    ), follow=True)


def test_the_page_says_the_code_was_not_sent_and_a_new_one_can_be_sent(world: Any, sms: Any, settings: Any) -> None:
    page = signed_in(world.volunteer)
    with _gateway_down(settings) as http:
        resp = _register(page, world)
    assert http.call_count == 2  # retried within the deadline, as a sign-in code
    assert resp.status_code == 200
    text = resp.content.decode()
    assert NOT_WAITING in text  # the page says no code is waiting, not "a code was sent"
    assert "Một mã đã được gửi qua SMS" not in text
    delegation = Delegation.objects.get(person__full_name="Lê Thị Bảy")
    assert delegation.consent_method == "pending_code"  # registered, waiting for consent
    assert OpsCounter.objects.get(name="sms.consent.failed").count == 1

    # The gateway is back: "Send a new code" works at once (the failed code was withdrawn, so
    # no cooldown holds it back), and the code it sends confirms the consent.
    url = f"/volunteer/assisted/{delegation.pk}/confirm/"
    resp = page.post(url, {"resend": "1"}, follow=True)
    assert resp.status_code == 200
    assert NOT_WAITING not in resp.content.decode()
    assert "Một mã đã được gửi qua SMS" in resp.content.decode()
    resp = page.post(url, {"code": sms.last_code(PHONE)})
    assert resp.status_code == 302
    assert Delegation.objects.get(pk=delegation.pk).consent_method == "code"


def test_a_new_code_that_cannot_be_sent_says_so(world: Any, sms: Any, settings: Any) -> None:
    page = signed_in(world.volunteer)
    resp = _register(page, world)
    assert NOT_WAITING not in resp.content.decode()  # the first code left
    delegation = Delegation.objects.get(person__full_name="Lê Thị Bảy")
    settings.OTP_COOLDOWN_SECONDS = 0
    with _gateway_down(settings):
        resp = page.post(f"/volunteer/assisted/{delegation.pk}/confirm/", {"resend": "1"}, follow=True)
    text = resp.content.decode()
    assert "Chúng tôi chưa gửi được mã qua SMS. Vui lòng thử lại sau một phút." in text  # SmsNotSent's words, not "a new code was sent"
    assert NOT_WAITING in text


def test_the_api_answers_503_when_a_new_code_cannot_be_sent(world: Any, api: Any, sms: Any, settings: Any) -> None:
    _register(signed_in(world.volunteer), world)
    delegation = Delegation.objects.get(person__full_name="Lê Thị Bảy")
    settings.OTP_COOLDOWN_SECONDS = 0
    with _gateway_down(settings):
        resp = api.as_(world.volunteer).post(f"/volunteers/assisted/{delegation.pk}/resend", {})
    assert resp.status_code == 503, resp.content
    assert resp.json()["error"]["code"] == "sms_not_sent"


def test_the_consent_code_is_texted_only_once_the_registration_commits(
    world: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Inside the web form's (or a keyed API call's) transaction: a registration rolled back must
    # not have texted a code that does not exist (diff review).
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assisted_person_start(
            actor=world.volunteer, consent_method="code", full_name="Lê Thị Bảy", sex="female",
            home_ward_id=world.hoan_kiem.code, birth_year=1940, id_number="001140000777", phone=PHONE,
            street="Số 9 ngõ Huế",
        )
    assert [m for m in sms.messages() if m["to"] == PHONE] == []
    for callback in callbacks:
        callback()
    assert len([m for m in sms.messages() if m["to"] == PHONE]) == 1
