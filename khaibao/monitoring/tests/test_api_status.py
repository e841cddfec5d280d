"""GET /api/v1/people/{id}/status: what a household reads many times a day (the hot path)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.accounts import access_tokens
from khaibao.cases.models import FollowUpCase
from khaibao.cases.tests.helpers import declare
from khaibao.monitoring.selectors import monitoring_progress, person_status_read


def signed_in(api: Any, account: Any) -> Any:
    """A client with a signed access token, as apps sign in since decision 0008."""
    return type(api)(access_tokens.session_start(account=account).access_token)


def test_it_reads_a_household_owners_status_in_one_statement_with_the_access_check(
    world: Any, api: Any, django_assert_num_queries: Any
) -> None:
    declare(api, world.lan, world.lan_child, "medium")
    client = signed_in(api, world.lan)
    first = client.get(f"/people/{world.lan_child.id}/status").json()  # stores today's short code
    # The household membership (the access check), the person, the status row with the period's
    # updated days, the short code and the follow-up in one statement; no token row (issue 19).
    with django_assert_num_queries(1) as captured:
        resp = client.get(f"/people/{world.lan_child.id}/status")
    read = captured.captured_queries[0]["sql"]
    assert "people_householdmembership" in read
    assert "passes_passcode" in read
    assert "cases_followupaction" in read
    assert "monitoring_dailyupdate" in read
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
    client = signed_in(api, world.lan)
    client.get(f"/people/{world.lan_self.id}/status")
    # the follow-up comes with the status row: no query more than without one
    with django_assert_max_num_queries(1):
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


def test_the_one_statement_counts_missed_days_as_the_period_rule_does(world: Any, api: Any, time_machine: Any) -> None:
    time_machine.move_to("2026-03-02 09:00:00+07:00", tick=False)
    declare(api, world.lan, world.lan_self, "high")  # opens a monitoring period
    client = api.as_(world.lan)
    time_machine.shift(timedelta(days=1))
    assert client.put(f"/people/{world.lan_self.id}/updates/2026-03-03", {"symptoms": [], "feeling": "well"}).status_code in (200, 201)
    time_machine.shift(timedelta(days=3))  # 2026-03-06: the 4th and 5th without an update
    today = timezone.localdate()

    read = person_status_read(world.lan_self, now=timezone.now())
    one_statement = monitoring_progress(read.status, today, days_updated=read.days_updated)
    counted_apart = monitoring_progress(read.status, today)

    assert one_statement == counted_apart
    assert one_statement.open
    assert one_statement.missed_days >= 2
    body = client.get(f"/people/{world.lan_self.id}/status").json()
    assert body["monitoring"]["missed_days"] == counted_apart.missed_days
