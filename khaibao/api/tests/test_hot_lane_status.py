"""The hot lane (api/hot_lane.py) answers a status read as ninja's route does: the same status,
the same bytes, the same headers and the same audit events — for the household owner's one-statement
read, the general route (an official, audited; a person not declared yet), the refusals (404, 401)
and the requests it leaves to ninja (another method, a path ninja refuses).

Each request is made twice at the same frozen instant: with the lane (STATUS_LANE on) and through
ninja (off). With the lane on, ninja's operation must not have run for the requests the lane takes.
"""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.api import declarations
from khaibao.api.tests.hot_lane_helpers import NinjaRuns, refuse, same_answer, signed
from khaibao.audit.models import AuditEvent
from khaibao.cases.tests.helpers import declare


def _both(settings: Any, monkeypatch: Any, send: Any) -> tuple[Any, Any, int, int]:
    """(lane's answer, ninja's answer, ninja operations run with the lane, audit events each)."""
    runs = NinjaRuns(monkeypatch)
    settings.STATUS_LANE = True
    before = AuditEvent.objects.count()
    lane = send()
    lane_audits = AuditEvent.objects.count() - before
    lane_runs = runs.count
    settings.STATUS_LANE = False
    before = AuditEvent.objects.count()
    ninja = send()
    assert AuditEvent.objects.count() - before == lane_audits
    return lane, ninja, lane_runs, lane_audits



@pytest.fixture
def frozen(time_machine: Any) -> None:
    # The pass is signed with the instant: both answers are made at the same one.
    time_machine.move_to("2026-03-02 09:00:00+07:00", tick=False)


@pytest.mark.parametrize("token", ["signed", "opaque"])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_owners_read_is_answered_by_the_lane_as_by_ninja(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None, token: str, language: str
) -> None:
    declare(api, world.lan, world.lan_self, "high")  # reasons, advice, an open monitoring period
    official = api.as_(world.ward_official)
    assert official.post(f"/cases/{world.lan_self.id}/actions", {"kind": "called_not_reached"}).status_code == 201
    client = signed(api, world.lan) if token == "signed" else api.as_(world.lan)
    path = f"/people/{world.lan_self.id}/status"
    lane, ninja, runs, audits = _both(settings, monkeypatch, lambda: client.get(path, headers={"Accept-Language": language}))
    same_answer(lane, ninja)
    assert lane.status_code == 200
    assert runs == 0  # answered before ninja
    assert audits == 0
    assert lane["Content-Language"] == language
    assert lane.json()["follow_up"]["outcome"] == "called_not_reached"
    # The lane's requests still get the API lane's headers.
    assert lane["Cache-Control"] == "no-store, private"
    assert lane["Content-Security-Policy"].startswith("default-src 'none'")
    assert lane["X-Content-Type-Options"] == "nosniff"


def test_a_person_not_declared_yet_takes_the_general_route_in_the_lane_too(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None
) -> None:
    client = signed(api, world.lan)
    lane, ninja, runs, _audits = _both(settings, monkeypatch, lambda: client.get(f"/people/{world.lan_child.id}/status"))
    same_answer(lane, ninja)
    assert (lane.status_code, runs) == (200, 0)
    assert lane.json()["level"] is None


def test_an_officials_read_is_audited_once_in_the_lane_as_through_ninja(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None
) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    client = api.as_(world.ward_official)
    lane, ninja, runs, audits = _both(settings, monkeypatch, lambda: client.get(f"/people/{world.lan_self.id}/status"))
    same_answer(lane, ninja)
    assert (lane.status_code, runs) == (200, 0)
    assert audits == 1


@pytest.mark.parametrize("reader", ["mai", "hung"])
def test_someone_elses_person_and_a_missing_one_are_the_same_404(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None, reader: str
) -> None:
    declare(api, world.lan, world.lan_self, "low")
    client = signed(api, getattr(world, reader))
    for person_id in (world.lan_self.id, 999_999_999):
        lane, ninja, runs, _audits = _both(settings, monkeypatch, lambda pid=person_id: client.get(f"/people/{pid}/status"))
        same_answer(lane, ninja)
        assert (lane.status_code, runs) == (404, 0)
        assert lane.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "token", [None, "kba.1.citizen.1.1.x.y", "kb_unknown"], ids=["no token", "bad signed", "unknown opaque"]
)
def test_without_a_valid_token_ninja_answers_401(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None, token: str | None
) -> None:
    client = type(api)(token=token)
    lane, ninja, runs, _audits = _both(settings, monkeypatch, lambda: client.get(f"/people/{world.lan_self.id}/status"))
    same_answer(lane, ninja)
    assert (lane.status_code, runs) == (401, 1)  # left to ninja


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/people/{id}/status/"),
        ("get", "/people/0{id}/status"),
        ("get", "/people/abc/status"),
        ("get", "/people/{id}/status?x=1"),
        ("post", "/people/{id}/status"),
        ("head", "/people/{id}/status"),
    ],
)
def test_what_the_lane_leaves_to_ninja_is_answered_as_before(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None, method: str, path: str
) -> None:
    declare(api, world.lan, world.lan_self, "low")
    client = signed(api, world.lan)
    url = "/api/v1" + path.format(id=world.lan_self.id)
    headers = {"Authorization": f"Bearer {client.token}"}
    lane, ninja, _runs, _audits = _both(settings, monkeypatch, lambda: getattr(client.client, method)(url, headers=headers))
    same_answer(lane, ninja)


def test_a_failure_in_the_lane_is_answered_by_the_apis_handlers(
    world: Any, api: Any, settings: Any, monkeypatch: Any, frozen: None
) -> None:
    monkeypatch.setattr(declarations, "person_status_read_checked", refuse)
    client = signed(api, world.lan)
    lane, ninja, runs, _audits = _both(settings, monkeypatch, lambda: client.get(f"/people/{world.lan_self.id}/status"))
    same_answer(lane, ninja)
    assert (lane.status_code, runs) == (409, 0)
    assert lane.json()["error"]["code"] == "refused"
