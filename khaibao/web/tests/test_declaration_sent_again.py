"""Back after sending a declaration, then sending it again, records one declaration (review-browser
finding 7): the page came back with a new submission key and the browser restored the answers.
The same answers from the same account for the same person within minutes are the first
declaration (web/submissions.py, `same_answers_minutes`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import ago, web_form
from khaibao.web.submissions import OUTBOX_HEADER, RECORDED_HEADER

EN = {"Accept-Language": "en"}


def _risk_form(days_ago: int = 1, **extra: Any) -> dict[str, Any]:
    return web_form(contact_with_case="yes", contact_0_code="contact_confirmed", contact_0_date=ago(days_ago),
                    came_from_epidemic_area="no", suspect_infection="no", **extra)


@pytest.fixture
def lan(world: Any) -> Client:
    client = Client()
    client.force_login(world.lan)
    return client


@pytest.mark.parametrize("form", ["risk", "declare"])
def test_the_same_answers_sent_again_under_a_new_key_ten_seconds_later_are_one_declaration(
    world: Any, lan: Client, form: str
) -> None:
    path = f"/people/{world.lan_parent.id}/{form}/"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = lan.post(path, _risk_form(submission_key="key-before-back"))
    with time_machine.travel(start + timedelta(seconds=10), tick=False):
        again = lan.post(path, _risk_form(submission_key="key-after-back"), headers=EN)

    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Declaration.objects.filter(person=world.lan_parent).count() == 1
    assert AuditEvent.objects.filter(person_id=world.lan_parent.id, action__contains="declaration").count() == 1
    recorded_at = timezone.localtime(start).strftime("%H:%M")
    page = lan.get(again["Location"], headers=EN).content.decode()
    assert f"These answers were already recorded at {recorded_at}" in page


def test_other_answers_are_a_new_declaration(world: Any, lan: Client) -> None:
    path = f"/people/{world.lan_parent.id}/risk/"
    lan.post(path, _risk_form(submission_key="k1"))
    assert lan.post(path, _risk_form(days_ago=2, submission_key="k2")).status_code == 302
    assert Declaration.objects.filter(person=world.lan_parent).count() == 2


def test_another_person_with_the_same_answers_is_a_new_declaration(world: Any, lan: Client) -> None:
    lan.post(f"/people/{world.lan_parent.id}/risk/", _risk_form(submission_key="k1"))
    lan.post(f"/people/{world.lan_child.id}/risk/", _risk_form(submission_key="k2"))
    assert Declaration.objects.filter(person__in=[world.lan_parent, world.lan_child]).count() == 2


def test_the_same_answers_after_the_window_are_a_new_declaration(world: Any, lan: Client) -> None:
    path = f"/people/{world.lan_parent.id}/risk/"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lan.post(path, _risk_form(submission_key="k1"))
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert lan.post(path, _risk_form(submission_key="k2")).status_code == 302
    with time_machine.travel(start + timedelta(minutes=8), tick=False):
        lan.post(path, _risk_form(submission_key="k3"))  # within the window of the second
    assert Declaration.objects.filter(person=world.lan_parent).count() == 2


def test_the_outbox_is_told_it_was_recorded(world: Any, lan: Client) -> None:
    path = f"/people/{world.lan_parent.id}/risk/"
    first = lan.post(path, _risk_form(submission_key="k1"))
    again = lan.post(path, _risk_form(submission_key="k2"), headers={OUTBOX_HEADER: "1"})
    assert again.status_code == 204
    assert again[RECORDED_HEADER] == first["Location"]
    assert Declaration.objects.filter(person=world.lan_parent).count() == 1
