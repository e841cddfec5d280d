"""GET /api/v1/people/{id}/status: what a household reads many times a day (the hot path)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.cases.models import FollowUpCase
from khaibao.cases.tests.helpers import declare


def test_it_reads_a_citizens_status_in_five_queries(world: Any, api: Any, django_assert_max_num_queries: Any) -> None:
    declare(api, world.lan, world.lan_child, "medium")
    client = api.as_(world.lan)
    first = client.get(f"/people/{world.lan_child.id}/status").json()  # stores today's short code
    # token, household membership, status row, short code, follow-up
    with django_assert_max_num_queries(5):
        resp = client.get(f"/people/{world.lan_child.id}/status")
    assert resp.status_code == 200
    body = resp.json()
    assert (body["level"], body["pass"]["colour"], body["monitoring"]["open"]) == ("medium", "yellow", True)
    assert body["pass"]["code"] == first["pass"]["code"]
    assert body["follow_up"] is None


def test_it_shows_the_latest_follow_up_without_the_officials_notes(
    world: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    declare(api, world.lan, world.lan_self, "high")
    official = api.as_(world.ward_official)
    called = official.post(f"/cases/{world.lan_self.id}/actions", {"kind": "called_not_reached", "notes": "Không nghe máy"})
    assert called.status_code == 201
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    tested = official.post(
        f"/cases/{world.lan_self.id}/actions", {"kind": "test_result", "test_result": "negative", "test_date": yesterday}
    )
    assert tested.status_code == 201
    client = api.as_(world.lan)
    client.get(f"/people/{world.lan_self.id}/status")
    # one more than without a follow-up: the case's state
    with django_assert_max_num_queries(6):
        body = client.get(f"/people/{world.lan_self.id}/status").json()
    follow_up = body["follow_up"]
    assert (follow_up["outcome"], follow_up["test_result"], follow_up["test_date"]) == ("test_result", "negative", yesterday)
    assert follow_up["status"] == FollowUpCase.objects.get(person=world.lan_self).status
    assert ":" in follow_up["outcome_label"]  # "Test result: Negative", in the reader's language
    assert follow_up["advice"]
    assert follow_up["at"]
    assert "Không nghe máy" not in str(body)


def test_the_follow_up_advice_is_in_the_readers_language(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    official = api.as_(world.ward_official)
    assert official.post(f"/cases/{world.lan_self.id}/actions", {"kind": "called_not_reached"}).status_code == 201
    client = api.as_(world.lan)
    path = f"/people/{world.lan_self.id}/status"
    english = client.get(path, headers={"Accept-Language": "en"}).json()["follow_up"]["advice"]
    vietnamese = client.get(path, headers={"Accept-Language": "vi"}).json()["follow_up"]["advice"]
    assert english.startswith("A health official tried to call you")
    assert vietnamese != english
