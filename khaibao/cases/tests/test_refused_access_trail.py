"""A refused write about a person's case leaves its access event and nothing else (docs/api.md,
"Errors"): the person was looked up in the official's jurisdiction before the body's checks."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.audit.models import AuditEvent
from khaibao.cases.models import FollowUpAction, FollowUpCase


@pytest.mark.parametrize(
    ("path", "body", "purpose"),
    [
        ("actions", {"kind": "test_result", "test_result": "positive"}, "case_action"),
        ("assign", {"assignee_id": 999999}, "case_assign"),
        ("household-limit", {"max_people": 30, "reason": "ngắn"}, "household_limit"),
    ],
)
def test_a_refused_case_write_leaves_only_its_access_event(
    world: Any, api: Any, path: str, body: dict[str, Any], purpose: str
) -> None:
    client = api.as_(world.province)
    client.get("/me")  # signed in: its token's event is behind us
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    resp = client.post(f"/cases/{world.lan_self.id}/{path}", body)
    assert resp.status_code == 400, resp.content
    events = list(AuditEvent.objects.filter(pk__gt=before).values_list("action", "person_id"))
    assert events == [(f"person.{purpose}", world.lan_self.id)]
    assert not FollowUpAction.objects.exists()
    assert not FollowUpCase.objects.exists()
