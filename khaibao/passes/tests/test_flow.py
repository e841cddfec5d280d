"""The whole public flow: declare → status shows a pass → a checkpoint verifies it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone


def _declare(api: Any, owner: Any, person: Any, **answers: Any) -> None:
    body = {"travel": [], "symptoms": [], "exposures": [], "conditions": [], "pregnant": False,
            "commitment": True, "consent": True, **answers}
    resp = api.as_(owner).post(f"/people/{person.id}/declarations", body)
    assert resp.status_code == 201, resp.json()


def _pass(api: Any, owner: Any, person: Any) -> dict[str, Any]:
    resp = api.as_(owner).get(f"/people/{person.id}/status")
    assert resp.status_code == 200
    return resp.json()["pass"]


def test_it_starts_grey_and_turns_green_after_a_clean_declaration(world: Any, api: Any) -> None:
    assert _pass(api, world.lan, world.lan_child)["colour"] == "grey"
    _declare(api, world.lan, world.lan_child)
    issued = _pass(api, world.lan, world.lan_child)
    assert issued["colour"] == "green"
    body = api.as_(world.checkpoint).post("/passes/verify", {"token": issued["token"]}).json()
    assert body == {"valid": True, "colour": "green", "initials": "TMA", "expires_at": issued["expires_at"], "reason": None}


def test_it_turns_red_for_a_close_contact_of_a_case(world: Any, api: Any) -> None:
    two_days_ago = (timezone.localdate() - timedelta(days=2)).isoformat()
    _declare(api, world.hung, world.hung_spouse, exposures=[{"code": "contact_confirmed", "date": two_days_ago}])
    issued = _pass(api, world.hung, world.hung_spouse)
    assert issued["colour"] == "red"
    body = api.as_(world.province_hcm).post("/passes/verify", {"token": issued["token"]}).json()
    assert (body["valid"], body["colour"], body["initials"]) == (True, "red", "ĐTT")
