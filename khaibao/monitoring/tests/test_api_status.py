"""GET /api/v1/people/{id}/status: what a household reads many times a day (the hot path)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
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


# --- the day's first read makes the pass code in its own statement (PostgreSQL) --------------


def _codes(person: Any) -> list[str]:
    from khaibao.passes.models import PassCode

    return list(PassCode.objects.filter(person=person).values_list("code", flat=True))


@pytest.mark.postgres_only
def test_the_days_first_read_makes_the_code_in_its_one_statement(
    world: Any, api: Any, django_assert_num_queries: Any
) -> None:
    declare(api, world.lan, world.lan_child, "medium")
    client = signed_in(api, world.lan)
    assert _codes(world.lan_child) == []
    with django_assert_num_queries(1) as captured:  # was two: the read, then the code's INSERT
        first = client.get(f"/people/{world.lan_child.id}/status")
    assert "passes_code_make" in captured.captured_queries[0]["sql"]
    code = first.json()["pass"]["code"]  # as typed: "ABCDE-FGHJK"
    assert _codes(world.lan_child) == [code.replace("-", "")]
    with django_assert_num_queries(1):
        again = client.get(f"/people/{world.lan_child.id}/status")
    assert again.json()["pass"]["code"] == code
    assert len(_codes(world.lan_child)) == 1  # the function ran only when there was no code
    checked = api.as_(world.checkpoint).post("/passes/verify", {"token": code})
    assert checked.status_code == 200
    assert (checked.json()["valid"], checked.json()["colour"]) == (True, "yellow")


@pytest.mark.postgres_only
def test_a_read_refused_makes_no_code(world: Any, api: Any) -> None:
    declare(api, world.mai, world.mai_self, "low")
    outsider = signed_in(api, world.lan)
    assert outsider.get(f"/people/{world.mai_self.id}/status").status_code == 404
    assert _codes(world.mai_self) == []
    # an official's read (the national scope sees her) shows the pass without a code, and makes none
    official = api.as_(world.national).get(f"/people/{world.mai_self.id}/status")
    assert official.status_code == 200
    assert official.json()["pass"]["code"] is None
    assert official.json()["pass"]["token"]
    assert _codes(world.mai_self) == []


@pytest.mark.postgres_only
def test_a_code_taken_by_someone_else_gives_another(world: Any, api: Any, monkeypatch: Any) -> None:
    from khaibao.passes import services
    from khaibao.passes.models import PassCode

    declare(api, world.lan, world.lan_self, "low")
    declare(api, world.lan, world.lan_child, "low")
    taken = "ABCDEFGHJK"[: services.CODE_LENGTH]
    now = timezone.now()
    PassCode.objects.create(code=taken, person=world.lan_self, created_at=now, expires_at=now + timedelta(hours=24))
    made = iter([taken, "MNPQRSTVWX"[: services.CODE_LENGTH]])
    monkeypatch.setattr(services, "_new_code", lambda: next(made))
    body = signed_in(api, world.lan).get(f"/people/{world.lan_child.id}/status").json()
    # the statement's code was taken (the function answered NULL): the Python way made another
    assert _codes(world.lan_child) == ["MNPQRSTVWX"[: services.CODE_LENGTH]]
    assert body["pass"]["code"].replace("-", "") == "MNPQRSTVWX"[: services.CODE_LENGTH]
    assert _codes(world.lan_self) == [taken]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_code_commits_without_waiting_for_the_disk_only_in_a_statement_of_its_own(
    world: Any, api: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection, transaction

    from khaibao.passes.models import PassCode

    declare(api, world.lan, world.lan_child, "low")
    declare(api, world.lan, world.lan_self, "low")
    client = signed_in(api, world.lan)
    # autocommit, as the API serves it: the one statement's transaction commits asynchronously
    with django_assert_num_queries(1) as captured:
        client.get(f"/people/{world.lan_child.id}/status")
    assert captured.captured_queries[0]["sql"].count("passes_code_make") == 1
    assert ", true))" in captured.captured_queries[0]["sql"].replace("'", "").lower()
    assert PassCode.objects.filter(person=world.lan_child).count() == 1
    # inside a caller's transaction its commit is the caller's: the flag is off
    with transaction.atomic(), django_assert_num_queries(1) as inside:
        client.get(f"/people/{world.lan_self.id}/status")
        assert connection.in_atomic_block
    assert ", false))" in inside.captured_queries[0]["sql"].replace("'", "").lower()
    assert PassCode.objects.filter(person=world.lan_self).count() == 1
