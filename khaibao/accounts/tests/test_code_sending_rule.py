"""How often a one-time code may be sent has one owner, `one_time_codes.code_send_check`: the
sign-in code, a volunteer's consent code and the erasure code all call it, and it answers the same
way for each (429, the seconds to wait, the cap's own words)."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import time_machine
from django.utils import timezone

from khaibao.privacy.models import ErasureCode

KHAIBAO = Path(__file__).resolve().parents[2]
SENDERS = ("accounts/otp.py", "people/volunteers.py", "privacy/services.py")
LAN_PHONE = "+84900000001"


def _calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def test_every_code_sender_calls_the_one_rule() -> None:
    for sender in SENDERS:
        assert "code_send_check" in _calls(KHAIBAO / sender), sender


def test_the_cooldown_and_the_cap_are_written_once() -> None:
    # A copy of the rule would carry its refusal's words with it.
    holders = [
        str(path.relative_to(KHAIBAO))
        for path in KHAIBAO.rglob("*.py")
        if "tests" not in path.parts and "A code was just sent" in path.read_text()
    ]
    assert holders == ["accounts/one_time_codes.py"]


def _ask(client, person_ids):
    return client.post("/privacy/erasure-codes", {"person_ids": person_ids, "reason": "request"})


def test_erasure_codes_are_capped_per_hour_with_the_rules_answer(world, api, sms) -> None:
    client = api.as_(world.lan)
    now = timezone.now()
    for minute in range(5):
        with time_machine.travel(now + timedelta(minutes=2 * minute)):
            assert _ask(client, [world.lan_child.id]).status_code == 201
    with time_machine.travel(now + timedelta(minutes=12)):
        refused = _ask(client, [world.lan_child.id])
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert ErasureCode.objects.count() == 5


def test_a_used_erasure_code_does_not_hold_the_next_one_back(world, api, sms) -> None:
    client = api.as_(world.lan)
    asked = _ask(client, [world.lan_child.id])
    confirmed = client.post(
        f"/privacy/erasure-codes/{asked.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)}
    )
    assert confirmed.status_code == 202, confirmed.content
    # Within the cooldown, for another member: the code just used does not count.
    assert _ask(client, [world.lan_parent.id]).status_code == 201
    again = _ask(client, [world.lan_parent.id])
    assert again.status_code == 429
    assert 1 <= int(again["Retry-After"]) <= 60
