"""Idempotency-Key on create requests: replay, conflict, per-caller keys, concurrent retries."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from khaibao.core.testing import at_once
from khaibao.people.models import Person

# A child: no ID number needed, so the same body may create two people when keys differ.
TEO = {"full_name": "Lê Văn Tèo", "sex": "male", "birth_year": 2018, "relation": "child", "ward_code": 70}


def create(client: Any, key: str, body: dict[str, Any] = TEO) -> Any:
    return client.post("/people", body, headers={"Idempotency-Key": key})


def teos() -> int:
    return Person.objects.filter(full_name="Lê Văn Tèo").count()


def test_it_creates_once_and_replays_the_original_answer(world, api):
    lan = api.as_(world.lan)

    first = create(lan, "add-teo-1")
    second = create(lan, "add-teo-1")

    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert teos() == 1


def test_it_creates_again_with_a_new_key(world, api):
    lan = api.as_(world.lan)
    create(lan, "add-teo-1")
    assert create(lan, "add-teo-2").status_code == 201
    assert teos() == 2


def test_it_refuses_the_same_key_with_a_different_body(world, api):
    lan = api.as_(world.lan)
    create(lan, "add-teo-1")

    resp = create(lan, "add-teo-1", {**TEO, "birth_year": 2019})

    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in error["fields"]
    assert teos() == 1


def test_it_keeps_each_callers_keys_apart(world, api):
    lan, mai = api.as_(world.lan), api.as_(world.mai)

    from_lan = create(lan, "shared-key")
    from_mai = create(mai, "shared-key")

    assert from_lan.status_code == from_mai.status_code == 201
    assert from_mai.json()["id"] != from_lan.json()["id"]
    assert "Idempotent-Replayed" not in from_mai
    assert teos() == 2
    # Each replay answers its own caller's person.
    assert create(mai, "shared-key").json()["id"] == from_mai.json()["id"]
    assert create(lan, "shared-key").json()["id"] == from_lan.json()["id"]


def test_it_lets_a_refused_request_be_corrected_under_the_same_key(world, api):
    lan = api.as_(world.lan)
    refused = create(lan, "add-teo-1", {**TEO, "birth_year": "nineteen ninety"})
    assert refused.status_code == 400

    assert create(lan, "add-teo-1").status_code == 201
    assert teos() == 1


def test_it_forgets_a_key_after_its_lifetime(world, api, settings, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+07:00", tick=False)
    lan = api.as_(world.lan)
    create(lan, "add-teo-1")
    time_machine.shift(timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS - 1))
    assert create(lan, "add-teo-1")["Idempotent-Replayed"] == "true"

    time_machine.shift(timedelta(hours=2))
    resp = create(lan, "add-teo-1")

    assert resp.status_code == 201
    assert "Idempotent-Replayed" not in resp
    assert teos() == 2


def test_it_refuses_an_overlong_key(world, api):
    resp = create(api.as_(world.lan), "k" * 256)
    assert resp.status_code == 400
    assert "Idempotency-Key" in resp.json()["error"]["fields"]
    assert teos() == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_creates_one_record_for_concurrent_requests_with_one_key(world, api):
    token = api.as_(world.lan).token
    workers = 8
    clients = [type(api)(token) for _ in range(workers)]
    answers = at_once([partial(create, c, "tap-tap-tap") for c in clients])

    assert [a.status_code for a in answers] == [201] * workers
    assert len({a.json()["id"] for a in answers}) == 1
    assert teos() == 1
