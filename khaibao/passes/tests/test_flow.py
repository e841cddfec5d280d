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
    assert body["decision"] == "admit"
    assert {k: body[k] for k in ("valid", "colour", "initials", "expires_at", "reason")} == {
        "valid": True, "colour": "green", "initials": "TMA", "expires_at": issued["expires_at"], "reason": None,
    }


def test_it_turns_red_for_a_close_contact_of_a_case(world: Any, api: Any) -> None:
    two_days_ago = (timezone.localdate() - timedelta(days=2)).isoformat()
    _declare(api, world.hung, world.hung_spouse, exposures=[{"code": "contact_confirmed", "date": two_days_ago}])
    issued = _pass(api, world.hung, world.hung_spouse)
    assert issued["colour"] == "red"
    body = api.as_(world.province_hcm).post("/passes/verify", {"token": issued["token"]}).json()
    assert (body["valid"], body["colour"], body["initials"]) == (True, "red", "ĐTT")


def test_it_verifies_a_short_code_typed_by_hand(world: Any, api: Any) -> None:
    _declare(api, world.lan, world.lan_child)
    issued = _pass(api, world.lan, world.lan_child)
    code = issued["code"]
    assert code
    assert (len(code), code[5]) == (11, "-")
    # The same code all day: the holder can write it down.
    assert _pass(api, world.lan, world.lan_child)["code"] == code
    checkpoint = api.as_(world.checkpoint)
    typed = " " + code.lower().replace("-", " ") + " "
    body = checkpoint.post("/passes/verify", {"token": typed}).json()
    assert body["decision"] == "admit"
    assert (body["valid"], body["colour"], body["initials"], body["reason"]) == (True, "green", "TMA", None)
    # The answer follows the status at the moment of the check, not at issue.
    _declare(api, world.lan, world.lan_child, symptoms=[{"code": "fever", "onset": timezone.localdate().isoformat()}])
    assert checkpoint.post("/passes/verify", {"token": code}).json()["colour"] == "yellow"


def test_it_refuses_an_unknown_or_expired_short_code(world: Any, api: Any) -> None:
    import time_machine

    checkpoint = api.as_(world.checkpoint)
    body = checkpoint.post("/passes/verify", {"token": "ABCDE-FGHJK"}).json()
    assert (body["valid"], body["reason"], body["colour"], body["initials"]) == (False, "unknown_code", None, None)
    _declare(api, world.lan, world.lan_child)
    code = _pass(api, world.lan, world.lan_child)["code"]
    # A typed code answers as long as the pass shown with it (review-browser finding 1), then as expired;
    # its row goes after two pass lifetimes (services.CODE_LIFETIME).
    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        assert checkpoint.post("/passes/verify", {"token": code}).json()["valid"] is True
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert checkpoint.post("/passes/verify", {"token": code}).json()["reason"] == "expired"
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        assert checkpoint.post("/passes/verify", {"token": code}).json()["reason"] == "unknown_code"


def test_it_gives_officials_no_short_code_and_citizens_of_other_households_nothing(world: Any, api: Any) -> None:
    from khaibao.passes.models import PassCode

    _declare(api, world.lan, world.lan_self)
    resp = api.as_(world.ward_official).get(f"/people/{world.lan_self.id}/status")
    assert resp.json()["pass"]["code"] is None
    assert not PassCode.objects.exists()
    assert api.as_(world.mai).get(f"/people/{world.lan_self.id}/status").status_code == 404


def test_it_limits_typed_codes_per_verifier(world: Any, api: Any, settings: Any) -> None:
    from khaibao.passes import verify

    checkpoint = api.as_(world.checkpoint)
    limit = verify.CODE_CHECKS_PER_HOUR
    verify.CODE_CHECKS_PER_HOUR = 2
    try:
        assert checkpoint.post("/passes/verify", {"token": "ABCDE-FGHJ0"}).status_code == 200
        assert checkpoint.post("/passes/verify", {"token": "ABCDE-FGHJ1"}).status_code == 200
        assert checkpoint.post("/passes/verify", {"token": "ABCDE-FGHJ2"}).status_code == 429
    finally:
        verify.CODE_CHECKS_PER_HOUR = limit


def test_it_gives_a_new_short_code_once_the_old_one_would_not_outlive_a_new_pass(world: Any, api: Any) -> None:
    # A code lives two pass lifetimes and is replaced once it has less than one left (services.CODE_MIN_LEFT).
    import time_machine

    _declare(api, world.lan, world.lan_child)
    code = _pass(api, world.lan, world.lan_child)["code"]
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=23, minutes=30)):
        assert _pass(api, world.lan, world.lan_child)["code"] == code
    with time_machine.travel(start + timedelta(hours=24, minutes=30)):
        renewed = _pass(api, world.lan, world.lan_child)["code"]
        assert renewed != code
        assert _pass(api, world.lan, world.lan_child)["code"] == renewed
        # The old code, maybe written on paper this morning, still answers until it expires.
        checkpoint = api.as_(world.checkpoint)
        assert checkpoint.post("/passes/verify", {"token": code}).json()["valid"] is True
        assert checkpoint.post("/passes/verify", {"token": renewed}).json()["valid"] is True
