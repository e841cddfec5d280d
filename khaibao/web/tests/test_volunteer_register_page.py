"""The volunteer's "Register a person I assist" page: the consent notice is there to be read to
the person (review-seams finding 5), and a double tap registers them once (review-faults
finding 6: `volunteer/register/` had no submission key)."""

from __future__ import annotations

import html
import re
from typing import Any

from khaibao.people.models import Delegation, Person
from khaibao.people.tests.test_volunteers_web import register_form, signed_in
from khaibao.privacy.consent import current_notice


def test_it_shows_the_privacy_notice_where_the_person_consents(world: Any) -> None:
    page = html.unescape(signed_in(world.volunteer).get("/volunteer/register/").content.decode())
    notice = current_notice()
    assert notice.retention_text() in page
    assert str(notice.purpose) in page
    assert str(notice.rights) in page  # the whole notice: the volunteer reads it to the person


def test_it_registers_the_person_once_on_a_double_tap(world: Any) -> None:
    page = signed_in(world.volunteer)
    form = page.get("/volunteer/register/").content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', form)
    assert key, "the form carries a submission key"
    data = register_form(world, submission_key=key.group(1))

    first = page.post("/volunteer/register/", data)
    second = page.post("/volunteer/register/", data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Person.objects.filter(full_name="Lê Thị Bảy").count() == 1
    assert Delegation.objects.filter(person__full_name="Lê Thị Bảy").count() == 1


def test_it_sends_one_consent_code_on_a_double_tap(world: Any, sms: Any) -> None:
    page = signed_in(world.volunteer)
    data = register_form(world, consent_method="code", phone="0912000111", witness_name="", attested="",
                         submission_key="tap-twice")

    first = page.post("/volunteer/register/", data)
    second = page.post("/volunteer/register/", data)

    assert first.status_code == second.status_code == 302
    assert Delegation.objects.filter(person__full_name="Lê Thị Bảy").count() == 1
    assert sum(1 for m in sms.messages() if m["to"] == "+84912000111") == 1
