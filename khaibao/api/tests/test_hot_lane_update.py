"""The hot lane (api/hot_lane.py) answers a daily update as ninja's route does: the same status,
the same bytes, the same headers, the same rows and audit events — for a household owner's update
(created and replaced), a volunteer's (the general route), the refusals the service words (400,
404), an Idempotency-Key's replay, and the requests it leaves to ninja (no valid token, a body or
a path ninja refuses, another method).

Each request is made twice from the same state at the same frozen instant — with the lane
(UPDATE_LANE on) and through ninja (off) — each in a transaction undone afterwards, so both find
what the other would have found. With the lane on, ninja's operation must not have run for the
requests the lane takes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from khaibao.accounts.access_tokens import session_start
from khaibao.api import daily_updates, hot_lane
from khaibao.api.tests.hot_lane_helpers import NinjaRuns, refuse, same_answer, signed
from khaibao.audit.models import AuditEvent
from khaibao.cases.tests.helpers import declare
from khaibao.core.overload import RUSH_ENVIRON
from khaibao.monitoring.models import Assessment, DailyUpdate

DAY = "2026-03-02"
WELL: dict[str, Any] = {"symptoms": [], "temperature": None, "feeling": "well"}
UNWELL: dict[str, Any] = {"symptoms": ["fever", "cough"], "temperature": 38.4, "feeling": "unwell"}


class _Undone(Exception):
    pass



def _counts() -> tuple[int, int, int]:
    return DailyUpdate.objects.count(), Assessment.objects.count(), AuditEvent.objects.count()


def _undone(send: Callable[[], Any]) -> tuple[Any, tuple[int, int, int], list[str]]:
    """`send()`'s answer, the rows it added (updates, assessments, audit events) and the audit
    actions, all undone afterwards."""
    box: list[Any] = []
    try:
        with transaction.atomic():
            before = _counts()
            newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            response = send()
            after = _counts()
            actions = list(AuditEvent.objects.filter(id__gt=newest).order_by("id").values_list("action", flat=True))
            box.append((response, tuple(a - b for a, b in zip(after, before, strict=True)), actions))
            raise _Undone
    except _Undone:
        pass
    return box[0]


def _both(settings: Any, monkeypatch: Any, send: Callable[[], Any]) -> tuple[Any, Any, int, tuple[int, int, int]]:
    """(lane's answer, ninja's answer, ninja operations run with the lane, rows the lane added)."""
    runs = NinjaRuns(monkeypatch)
    settings.UPDATE_LANE = True
    lane, lane_rows, lane_actions = _undone(send)
    lane_runs = runs.count
    settings.UPDATE_LANE = False
    ninja, ninja_rows, ninja_actions = _undone(send)
    assert (lane_rows, lane_actions) == (ninja_rows, ninja_actions)
    return lane, ninja, lane_runs, lane_rows




@pytest.fixture
def frozen(time_machine: Any) -> None:
    # The update's times and the assessment's are the instant: both answers are made at the same one.
    time_machine.move_to(f"{DAY} 09:00:00+07:00", tick=False)


@pytest.mark.parametrize("token", ["signed", "opaque"])
@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("body", [WELL, UNWELL], ids=["well", "unwell"])
def test_an_owners_update_is_answered_by_the_lane_as_by_ninja(
    world: Any, api: Any, settings: Any, monkeypatch: Any, time_machine: Any, frozen: None, token: str, language: str,
    body: dict[str, Any],
) -> None:
    declare(api, world.lan, world.lan_self, "medium")  # a status row: the one-statement write on PostgreSQL
    client = signed(api, world.lan) if token == "signed" else api.as_(world.lan)
    path = f"/people/{world.lan_self.id}/updates/{DAY}"
    lane, ninja, runs, rows = _both(
        settings, monkeypatch, lambda: client.put(path, body, headers={"Accept-Language": language})
    )
    same_answer(lane, ninja)
    assert (lane.status_code, runs) == (201, 0)  # created, before ninja
    assert rows[0] == 1
    assert lane.json()["feeling"] == body["feeling"]
    assert lane["Content-Language"] == language
    # The lane's requests still get the API lane's headers.
    assert lane["Cache-Control"] == "no-store, private"
    assert lane["Content-Security-Policy"].startswith("default-src 'none'")
    assert lane["X-Content-Type-Options"] == "nosniff"

    # Replaced: 200, from the same state both ways.
    assert client.put(path, WELL).status_code == 201
    time_machine.move_to(f"{DAY} 09:01:00+07:00", tick=False)  # (at the same instant it reads as created)
    lane, ninja, runs, rows = _both(settings, monkeypatch, lambda: client.put(path, body))
    same_answer(lane, ninja)
    assert (lane.status_code, runs, rows[0]) == (200, 0, 0)


def test_a_first_update_before_any_declaration_takes_the_general_route_in_the_lane_too(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None
) -> None:
    client = signed(api, world.lan)
    path = f"/people/{world.lan_child.id}/updates/{DAY}"
    lane, ninja, runs, rows = _both(settings, monkeypatch, lambda: client.put(path, UNWELL))
    same_answer(lane, ninja)
    assert (lane.status_code, runs, rows[0]) == (201, 0, 1)


def test_a_volunteers_update_takes_the_general_route_in_the_lane_too(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None
) -> None:
    client = api.as_(world.volunteer)
    path = f"/people/{world.ong_tu.id}/updates/{DAY}"
    lane, ninja, runs, rows = _both(settings, monkeypatch, lambda: client.put(path, WELL))
    same_answer(lane, ninja)
    assert (lane.status_code, runs, rows[0]) == (201, 0, 1)
    assert lane.json()["assessment"]["level"]


@pytest.mark.parametrize(
    ("day", "body", "field"),
    [
        ("2026-03-03", WELL, "day"),  # tomorrow
        ("2026-02-27", WELL, "day"),  # the day before yesterday
        (DAY, {**WELL, "temperature": 43.1}, "temperature"),
        (DAY, {**WELL, "feeling": "meh"}, "feeling"),
        (DAY, {**WELL, "symptoms": ["hiccups"]}, "symptoms.0"),
        (DAY, {"symptoms": []}, "feeling"),
    ],
)
def test_what_the_service_refuses_is_the_same_400_in_the_lane(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None, day: str, body: dict[str, Any], field: str
) -> None:
    declare(api, world.lan, world.lan_self, "low")
    client = signed(api, world.lan)
    path = f"/people/{world.lan_self.id}/updates/{day}"
    lane, ninja, runs, rows = _both(settings, monkeypatch, lambda: client.put(path, body))
    same_answer(lane, ninja)
    assert lane.status_code in (400, 422)
    assert runs == (0 if lane.status_code == 400 else 1)  # the service's 400 in the lane; the schema's 422 ninja's
    assert field in json.dumps(lane.json()["error"]["fields"])
    assert rows == (0, 0, 0)


@pytest.mark.parametrize("writer", ["mai", "hung"])
def test_someone_elses_person_and_a_missing_one_are_the_same_404(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None, writer: str
) -> None:
    declare(api, world.lan, world.lan_self, "low")
    client = signed(api, getattr(world, writer))
    for person_id in (world.lan_self.id, 999_999_999):
        path = f"/people/{person_id}/updates/{DAY}"
        lane, ninja, runs, rows = _both(settings, monkeypatch, functools.partial(client.put, path, WELL))
        same_answer(lane, ninja)
        assert (lane.status_code, runs, rows) == (404, 0, (0, 0, 0))
        assert lane.json()["error"]["code"] == "not_found"
        # A bad body for someone else's person: still 404 first, as through ninja.
        lane, ninja, runs, rows = _both(settings, monkeypatch, functools.partial(client.put, path, {**WELL, "feeling": "meh"}))
        same_answer(lane, ninja)
        assert (lane.status_code, runs) == (404, 0)


def test_an_idempotency_keys_replay_and_misuse_are_answered_as_through_ninja(
    world: Any, api: Any, settings: Any, monkeypatch: Any, time_machine: Any, frozen: None
) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    client = signed(api, world.lan)
    path = f"/people/{world.lan_self.id}/updates/{DAY}"
    key = {"Idempotency-Key": "2f1d5c8e-0000-4000-8000-000000000001"}
    settings.UPDATE_LANE = True
    first = client.put(path, UNWELL, headers=key)
    assert first.status_code == 201
    time_machine.move_to(f"{DAY} 09:01:00+07:00", tick=False)
    # A retry replays the stored answer (and writes nothing); another body under the key is 422.
    lane, ninja, runs, rows = _both(settings, monkeypatch, lambda: client.put(path, UNWELL, headers=key))
    same_answer(lane, ninja)
    assert (lane.status_code, lane.content, rows[:2], runs) == (201, first.content, (0, 0), 0)
    lane, ninja, runs, rows = _both(settings, monkeypatch, lambda: client.put(path, WELL, headers=key))
    same_answer(lane, ninja)
    assert (lane.status_code, rows[:2], runs) == (422, (0, 0), 0)  # the key's middleware answers both
    # A fresh key through the lane: stored, and its replay is the same bytes.
    other = {"Idempotency-Key": "2f1d5c8e-0000-4000-8000-000000000002"}
    settings.UPDATE_LANE = True
    answered = client.put(path, WELL, headers=other)
    assert answered.status_code == 200
    settings.UPDATE_LANE = False
    assert client.put(path, WELL, headers=other).content == answered.content
    assert DailyUpdate.objects.filter(person=world.lan_self).count() == 1


@pytest.mark.parametrize(
    "token", [None, "kba.1.citizen.1.1.x.y", "kb_unknown"], ids=["no token", "bad signed", "unknown opaque"]
)
def test_without_a_valid_token_ninja_answers_401(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None, token: str | None
) -> None:
    client = type(api)(token=token)
    path = f"/people/{world.lan_self.id}/updates/{DAY}"
    lane, ninja, runs, rows = _both(settings, monkeypatch, lambda: client.put(path, WELL))
    same_answer(lane, ninja)
    assert (lane.status_code, runs, rows[:2]) == (401, 1, (0, 0))  # left to ninja


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/people/{id}/updates/{day}", "{not json"),
        ("/people/{id}/updates/{day}", ""),
        ("/people/{id}/updates/{day}", "[]"),
        ("/people/{id}/updates/{day}", '"well"'),
        ("/people/{id}/updates/{day}", json.dumps({**WELL, "mood": "fine"})),  # an unknown field
        ("/people/{id}/updates/{day}", json.dumps({**WELL, "temperature": "hot"})),
        ("/people/{id}/updates/{day}", json.dumps({**WELL, "feeling": "\ud800"})),  # cannot be stored
        ("/people/{id}/updates/{day}", "[" * 100_000),  # deeper than the JSON parser goes
        ("/people/{id}/updates/2026-02-30", json.dumps(WELL)),
        ("/people/{id}/updates/20260302", json.dumps(WELL)),
        ("/people/0{id}/updates/{day}", json.dumps(WELL)),
        ("/people/{id}/updates/{day}/", json.dumps(WELL)),
    ],
)
def test_what_the_lane_leaves_to_ninja_is_answered_as_before(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None, path: str, body: str
) -> None:
    declare(api, world.lan, world.lan_self, "low")
    client = signed(api, world.lan)
    url = "/api/v1" + path.format(id=world.lan_self.id, day=DAY)
    answered_by_lane: list[int] = []
    answer = hot_lane.daily_update_answer

    def counted(*args: Any, **kw: Any) -> Any:
        answered_by_lane.append(1)
        return answer(*args, **kw)

    monkeypatch.setattr(hot_lane, "daily_update_answer", counted)
    lane, ninja, _runs, _rows = _both(settings, monkeypatch, lambda: client.put(url, body, raw=True))
    same_answer(lane, ninja)
    assert answered_by_lane == []  # ninja (or Django, for a path ninja does not know) answered


def test_a_body_too_deep_to_parse_without_a_token_is_ninjas_401(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None
) -> None:
    client = type(api)(token=None)
    path = f"/api/v1/people/{world.lan_self.id}/updates/{DAY}"
    lane, ninja, runs, _rows = _both(settings, monkeypatch, lambda: client.put(path, "[" * 100_000, raw=True))
    same_answer(lane, ninja)
    assert (lane.status_code, runs) == (401, 1)


def test_a_request_marked_for_rush_mode_is_left_to_the_rush_lane_and_the_view(world: Any, monkeypatch: Any) -> None:
    factory = RequestFactory()
    token = session_start(account=world.lan).access_token
    path = f"/api/v1/people/{world.lan_self.id}/updates/{DAY}"
    passed_on: list[str] = []

    def next_in_chain(request: Any) -> HttpResponse:
        passed_on.append(request.META.get(RUSH_ENVIRON, ""))
        return HttpResponse(status=418)

    lane = hot_lane.HotLaneMiddleware(next_in_chain)
    monkeypatch.setattr(hot_lane, "daily_update_answer", lambda *a, **kw: HttpResponse(status=201))
    for mark in ("1", ""):
        request = factory.put(path, json.dumps(WELL), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
        if mark:
            request.META[RUSH_ENVIRON] = mark  # as the overload checks mark it
        assert lane(request).status_code == (418 if mark else 201)
    assert passed_on == ["1"]


def test_a_failure_in_the_lane_is_answered_by_the_apis_handlers(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None
) -> None:
    monkeypatch.setattr(daily_updates, "daily_update_answer", refuse)
    monkeypatch.setattr(hot_lane, "daily_update_answer", refuse)
    client = signed(api, world.lan)
    path = f"/people/{world.lan_self.id}/updates/{DAY}"
    lane, ninja, runs, _rows = _both(settings, monkeypatch, lambda: client.put(path, WELL))
    same_answer(lane, ninja)
    assert (lane.status_code, runs) == (409, 0)
    assert lane.json()["error"]["code"] == "refused"
