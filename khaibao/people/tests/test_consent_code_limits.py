"""A volunteer's consent code cannot be resent without limit (accounts.one_time_codes.code_send_check):
one per delegation per OTP_COOLDOWN_SECONDS, CONSENT_CODES_PER_HOUR per phone and hour — so the
person's phone gets a bounded number of SMS, and the codes' guesses are bounded too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.accounts import ratelimit
from khaibao.accounts.phones import phone_index
from khaibao.people.models import Delegation, Person
from khaibao.people.tests.test_volunteers_api import ASSISTED_PHONE, start
from khaibao.people.tests.test_volunteers_web import register_form, signed_in
from khaibao.people.volunteers import CONSENT_CODES_PER_HOUR, consent_code_limit_key


def codes_to(sms: Any, phone: str = ASSISTED_PHONE) -> int:
    return sum(1 for m in sms.messages() if m["to"] == phone)


def test_it_refuses_a_resend_within_the_cooldown_with_429_and_retry_after(world, api, sms, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    client = api.as_(world.volunteer)
    time_machine.shift(timedelta(seconds=20))

    resp = client.post(f"/volunteers/assisted/{body['id']}/resend")

    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "rate_limited"
    assert resp["Retry-After"] == "40"
    assert "40" in resp.json()["error"]["message"]
    assert codes_to(sms) == 1
    time_machine.shift(timedelta(seconds=41))
    assert client.post(f"/volunteers/assisted/{body['id']}/resend").status_code == 204
    assert codes_to(sms) == 2


def test_it_caps_the_codes_one_phone_gets_in_an_hour(world, api, sms, time_machine, settings):
    """The reviewer's 40 resends (each after the cooldown) give the phone CONSENT_CODES_PER_HOUR
    SMS in all, the first included; the guesses are bounded with them."""
    time_machine.move_to(timezone.now(), tick=False)
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    client = api.as_(world.volunteer)
    answers = []
    for _ in range(40):
        time_machine.shift(timedelta(seconds=61))
        resp = client.post(f"/volunteers/assisted/{body['id']}/resend")
        answers.append(resp.status_code)
        if resp.status_code == 429:
            assert resp["Retry-After"] == "3600"

    assert answers.count(204) == CONSENT_CODES_PER_HOUR - 1
    assert codes_to(sms) == CONSENT_CODES_PER_HOUR
    assert codes_to(sms) * settings.OTP_MAX_ATTEMPTS <= 25  # guesses per phone and hour
    # Another delegation for the same phone does not reset the count.
    other = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE,
                  full_name="Lê Văn Tám", id_number="001040000888")
    assert other.status_code == 429
    assert not Person.objects.filter(full_name="Lê Văn Tám").exists()
    assert codes_to(sms) == CONSENT_CODES_PER_HOUR
    # The next hour, codes go again.
    time_machine.shift(timedelta(hours=1))
    assert client.post(f"/volunteers/assisted/{body['id']}/resend").status_code == 204


def test_the_page_says_to_wait_and_answers_429(world, sms, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    page = signed_in(world.volunteer)
    resp = page.post("/volunteer/register/", register_form(world, consent_method="code", phone="0912000111",
                                                           witness_name="", attested=""))
    assert resp.status_code == 302
    confirm_url = resp["Location"]
    time_machine.shift(timedelta(seconds=15))

    resp = page.post(confirm_url, {"resend": "1"})

    assert resp.status_code == 429
    assert resp["Retry-After"] == "45"
    html = resp.content.decode()
    assert "Vui lòng chờ 45 giây" in html  # Vietnamese first
    assert 'name="code"' in html  # the code sent before still works: the form is there
    assert codes_to(sms, "+84912000111") == 1
    time_machine.shift(timedelta(seconds=46))
    resp = page.post(confirm_url, {"resend": "1"})
    assert resp.status_code == 302
    assert codes_to(sms, "+84912000111") == 2


def test_the_page_says_so_in_english_too(world, sms, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    page = signed_in(world.volunteer)
    page.cookies.load({"django_language": "en"})
    resp = page.post("/volunteer/register/", register_form(world, consent_method="code", phone="0912000111",
                                                           witness_name="", attested=""))
    delegation = Delegation.objects.get(person__full_name="Lê Thị Bảy")

    resp = page.post(f"/volunteer/assisted/{delegation.pk}/confirm/", {"resend": "1"})

    assert resp.status_code == 429
    assert "Please wait 60 seconds before asking again." in resp.content.decode()


def test_the_register_page_answers_429_once_the_phone_had_its_codes(world, sms):
    for _ in range(CONSENT_CODES_PER_HOUR):
        ratelimit.hit(consent_code_limit_key(phone_index("+84912000111")), window_seconds=3600)
    page = signed_in(world.volunteer)

    resp = page.post("/volunteer/register/", register_form(world, consent_method="code", phone="0912000111",
                                                           witness_name="", attested=""))

    assert resp.status_code == 429
    assert resp["Retry-After"] == "3600"
    assert "Bạn đã yêu cầu mã quá nhiều lần" in resp.content.decode()
    assert not Delegation.objects.filter(person__full_name="Lê Thị Bảy").exists()
    assert codes_to(sms, "+84912000111") == 0
