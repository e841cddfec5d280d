"""Officials' writes whose answer carries someone's health data are replayed only past the access
check (api/idempotency.py, `idempotency_checked`): a case action (the follow-up, a test result) and
a contact registered. Their stored answer was handed back for a day to an official who had lost the
person — a move to another ward, a break-glass grant ended — with no access check and no audit."""

from __future__ import annotations

from typing import Any

from khaibao.audit.models import AuditEvent
from khaibao.cases.models import FollowUpAction
from khaibao.core.models import IdempotencyRecord
from khaibao.tracing.models import Contact
from khaibao.tracing.tests.helpers import ago, contact, make_f0

NEGATIVE = {"kind": "test_result", "test_result": "negative", "test_date": ago(1)}


def _action(client: Any, person_id: int, key: str, body: dict[str, Any] = NEGATIVE) -> Any:
    return client.post(f"/cases/{person_id}/actions", body, headers={"Idempotency-Key": key})


def _looks(person_id: int) -> int:
    return AuditEvent.objects.filter(person_id=person_id).count()


def test_it_replays_a_case_action_only_after_checking_and_auditing_the_access_again(world: Any, api: Any) -> None:
    official, lan = world.ward_official, world.lan_self
    client = api.as_(official)
    first = _action(client, lan.pk, "action-1")
    assert first.status_code == 201, first.content
    looks = _looks(lan.pk)

    again = _action(client, lan.pk, "action-1")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert FollowUpAction.objects.count() == 1  # nothing written twice
    assert _looks(lan.pk) == looks + 1  # the look at her record is audited again


def test_it_answers_not_found_to_a_replayed_case_action_after_a_move_to_another_ward(world: Any, api: Any) -> None:
    official, lan = world.ward_official, world.lan_self
    client = api.as_(official)
    assert _action(client, lan.pk, "action-2").status_code == 201

    official.scope_ward = world.ba_dinh
    official.save(update_fields=["scope_ward"])
    again = _action(client, lan.pk, "action-2")

    assert again.status_code == 404
    assert "negative" not in again.content.decode()
    assert again.get("Idempotent-Replayed") is None
    assert FollowUpAction.objects.count() == 1


def test_it_still_refuses_another_case_action_under_the_same_key(world: Any, api: Any) -> None:
    client = api.as_(world.ward_official)
    assert _action(client, world.lan_self.pk, "action-3").status_code == 201

    other = _action(client, world.lan_self.pk, "action-3", {"kind": "called_reached"})

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert FollowUpAction.objects.count() == 1


def test_it_keeps_a_case_actions_answer_marked_for_the_check(world: Any, api: Any) -> None:
    assert _action(api.as_(world.ward_official), world.lan_self.pk, "action-4").status_code == 201
    assert IdempotencyRecord.objects.get(key="action-4").content_type.startswith("checked;")


def test_it_answers_not_found_to_a_replayed_contact_after_a_move_to_another_ward(world: Any, api: Any) -> None:
    official, lan = world.ward_official, world.lan_self
    make_f0(world, api, lan)
    client = api.as_(official)
    headers = {"Idempotency-Key": "contact-1"}
    first = client.post(f"/cases/{lan.pk}/contacts", contact(), headers=headers)
    assert first.status_code == 201, first.content
    again = client.post(f"/cases/{lan.pk}/contacts", contact(), headers=headers)
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == first.json()

    official.scope_ward = world.ba_dinh
    official.save(update_fields=["scope_ward"])
    lost = client.post(f"/cases/{lan.pk}/contacts", contact(), headers=headers)

    assert lost.status_code == 404
    assert "BVK" not in lost.content.decode()
    assert Contact.objects.count() == 1
