"""The hot answers rendered without the response schema's round trip (`api.schemas.json_answer`)
are byte for byte what ninja renders through the operation's schema (issue 19, fourth pass).

Each request is made twice at the same frozen instant: as served, and with `json_answer` replaced
by a plain `Status`, so that ninja validates the same payload against the declared schema and
renders it. Any field out of the schema's order, any key the schema does not have, any value of
another type, shows as a difference.
"""

from __future__ import annotations

from typing import Any

import pytest
from ninja import Status

from khaibao.api import daily_updates, declarations
from khaibao.cases.tests.helpers import declare


def _through_schema(request: Any, payload: dict[str, Any], *, status: int = 200) -> Status[dict[str, Any]]:
    return Status(status, payload)


def _both(monkeypatch: Any, module: Any, send: Any) -> tuple[Any, Any]:
    fast = send()
    with monkeypatch.context() as patched:
        patched.setattr(module, "json_answer", _through_schema)
        slow = send()
    return fast, slow


@pytest.fixture
def through_ninja(settings: Any) -> None:
    # The schema's side is rendered by ninja's operation: the hot lane (api/hot_lane.py) stays
    # out of it here; its answers are compared with ninja's in test_hot_lane_status.py and
    # test_hot_lane_update.py.
    settings.STATUS_LANE = False
    settings.UPDATE_LANE = False


@pytest.mark.parametrize("reader", ["lan", "ward_official"])
def test_the_status_read_answers_what_its_schema_renders(
    world: Any, api: Any, monkeypatch: Any, time_machine: Any, through_ninja: None, reader: str
) -> None:
    time_machine.move_to("2026-03-02 09:00:00+07:00", tick=False)
    declare(api, world.lan, world.lan_self, "high")  # reasons, advice, an open monitoring period
    official = api.as_(world.ward_official)
    assert official.post(f"/cases/{world.lan_self.id}/actions", {"kind": "called_not_reached"}).status_code == 201
    client = api.as_(getattr(world, reader))
    path = f"/people/{world.lan_self.id}/status"
    fast, slow = _both(monkeypatch, declarations, lambda: client.get(path, headers={"Accept-Language": "vi"}))
    assert (fast.status_code, fast["Content-Type"]) == (slow.status_code, slow["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert fast.content == slow.content
    assert fast.json()["follow_up"]["outcome"] == "called_not_reached"


def test_a_status_read_before_any_declaration_answers_what_its_schema_renders(
    world: Any, api: Any, monkeypatch: Any, time_machine: Any, through_ninja: None
) -> None:
    time_machine.move_to("2026-03-02 09:00:00+07:00", tick=False)
    client = api.as_(world.lan)
    path = f"/people/{world.lan_child.id}/status"
    fast, slow = _both(monkeypatch, declarations, lambda: client.get(path))
    assert fast.content == slow.content
    assert fast.json()["level"] is None


@pytest.mark.parametrize("symptoms", [[], ["fever", "cough"]])
def test_the_daily_update_answers_what_its_schema_renders(
    world: Any, api: Any, monkeypatch: Any, time_machine: Any, through_ninja: None, symptoms: list[str]
) -> None:
    time_machine.move_to("2026-03-02 09:00:00+07:00", tick=False)
    declare(api, world.lan, world.lan_self, "medium")
    client = api.as_(world.lan)
    path = f"/people/{world.lan_self.id}/updates/2026-03-02"
    body = {"symptoms": symptoms, "temperature": 37.2, "feeling": "unwell" if symptoms else "well"}
    fast, slow = _both(monkeypatch, daily_updates, lambda: client.put(path, body, headers={"Accept-Language": "vi"}))
    # (with the clock frozen the second one also reads as created: the same created_at)
    assert fast.status_code == slow.status_code == 201
    assert fast["Content-Type"] == slow["Content-Type"] == "application/json; charset=utf-8"
    assert fast.content == slow.content
    assert fast.json()["assessment"]["reasons"] or fast.json()["assessment"]["recommendations"]
