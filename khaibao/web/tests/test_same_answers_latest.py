"""The same answers sent again are a repeat only while they are still the latest recorded for
that person (core/submissions.py): "fever", then "no symptoms" a minute later, then "fever" again
(a correction back) is three declarations — the third used to be taken for the first and dropped,
leaving "no symptoms" as the current declaration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import ago, web_form


def _lan(world: Any) -> Client:
    client = Client()
    client.force_login(world.lan)
    return client


def test_a_correction_back_to_earlier_answers_is_recorded(world: Any) -> None:
    lan = _lan(world)
    path = f"/people/{world.lan_parent.id}/declare/"
    fever = web_form(symptom_fever="on", symptom_fever_onset=ago(1))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert lan.post(path, {**fever, "submission_key": "k1"}).status_code == 302
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert lan.post(path, web_form(submission_key="k2")).status_code == 302
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        third = lan.post(path, {**fever, "submission_key": "k3"}, headers={"Accept-Language": "en"})
        assert third.status_code == 302
        page = lan.get(third["Location"], headers={"Accept-Language": "en"}).content.decode()

    declarations = list(Declaration.objects.filter(person=world.lan_parent).order_by("version"))
    assert len(declarations) == 3
    assert declarations[-1].answers == declarations[0].answers
    assert "already recorded" not in page


def test_the_latest_answers_sent_again_are_still_one_declaration(world: Any) -> None:
    lan = _lan(world)
    path = f"/people/{world.lan_parent.id}/declare/"
    fever = web_form(symptom_fever="on", symptom_fever_onset=ago(1))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lan.post(path, {**fever, "submission_key": "k1"})
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        lan.post(path, web_form(submission_key="k2"))
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        lan.post(path, web_form(submission_key="k3"))  # Back after the correction, sent again
    assert Declaration.objects.filter(person=world.lan_parent).count() == 2
