"""The check-in's one statement (PostgreSQL, venues/statements.py) against the portable path.

Each behaviour runs on both paths (the one-statement path only on PostgreSQL: `make test-postgres`),
and one scenario of every case — unknown and suspended codes, someone not of the household, a
repeat within minutes, several people at once, the bounds of `at`, a volunteer's assisted person —
is run on each path in turn and must leave the same rows, row for row, and get the same answers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khaibao.accounts import ratelimit
from khaibao.audit.models import AuditEvent
from khaibao.people.access import access_declaring, household_ids_sql
from khaibao.people.models import Person
from khaibao.venues import statements
from khaibao.venues.models import CheckIn, Venue
from khaibao.venues.sealing import venue_unseal
from khaibao.venues.tests.test_api_checkins import SHOP, checkin, iso, register

NOON = timezone.make_aware(datetime(2026, 12, 4, 12, 0))


@pytest.fixture(params=["one_statement", "portable"])
def path(request: Any, monkeypatch: Any) -> str:
    if request.param == "portable":
        monkeypatch.setattr(statements, "checkins_in_one_statement", lambda: False)
    elif connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    return str(request.param)


@pytest.fixture
def venues(world: Any, api: Any) -> dict[str, dict[str, Any]]:
    with time_machine.travel(NOON - timedelta(days=5), tick=False):
        open_ = register(api, world.nam)
        other = register(api, world.nam, name="Quầy thuốc", kind="health_facility")
        closed = register(api, world.nam, name="Quầy đóng cửa")
    Venue.objects.filter(pk=closed["id"]).update(status="suspended")
    return {"open": open_, "other": other, "closed": closed}


def test_it_checks_several_people_in_and_keeps_a_repeat(world: Any, api: Any, venues: Any, path: str) -> None:
    code = venues["open"]["code"]
    with time_machine.travel(NOON, tick=False):
        first = checkin(api, world.lan, code, [world.lan_self.id, world.lan_child.id])
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        again = checkin(api, world.lan, code, [world.lan_child.id, world.lan_parent.id, world.lan_self.id])

    assert first.status_code == 201, first.content
    assert again.status_code == 201, again.content
    made = {c["person_id"]: c for c in first.json()["checkins"]}
    rows = again.json()["checkins"]
    assert [(c["person_id"], c["created"]) for c in rows] == [
        (world.lan_child.id, False), (world.lan_parent.id, True), (world.lan_self.id, False)]
    assert rows[0]["id"] == made[world.lan_child.id]["id"]
    assert rows[0]["at"] == made[world.lan_child.id]["at"]
    assert rows[1]["person_name"] == world.lan_parent.full_name
    assert rows[1]["venue_name"] == SHOP["name"]
    assert CheckIn.objects.count() == 3
    events = AuditEvent.objects.filter(action="checkin.create").order_by("id")
    assert [(e.person_id, e.object_type, e.data) for e in events] == [
        (world.lan_self.id, "CheckIn", {"via": "scan"}), (world.lan_child.id, "CheckIn", {"via": "scan"}),
        (world.lan_parent.id, "CheckIn", {"via": "scan"})]
    assert {e.object_id for e in events} == {str(pk) for pk in CheckIn.objects.values_list("pk", flat=True)}
    assert all(e.actor_id == world.lan.id and e.hash is None and e.prev_hash == "" for e in events)


def test_it_writes_nothing_for_someone_outside_the_household(world: Any, api: Any, venues: Any, path: str) -> None:
    resp = checkin(api, world.lan, venues["open"]["code"], [world.lan_self.id, world.mai_self.id])
    assert resp.status_code == 404
    assert not CheckIn.objects.exists()
    assert not AuditEvent.objects.filter(action="checkin.create").exists()


def test_it_refuses_unknown_and_suspended_codes(world: Any, api: Any, venues: Any, path: str) -> None:
    for code in ("ZZZZZZ", venues["closed"]["code"]):
        resp = checkin(api, world.lan, code)
        assert resp.status_code == 404
        assert "venue_code" in resp.json()["error"]["fields"]
    assert not CheckIn.objects.exists()


def test_it_checks_in_an_assisted_person_through_the_delegation(world: Any, api: Any, venues: Any, path: str) -> None:
    resp = checkin(api, world.volunteer, venues["open"]["code"], [world.ong_tu.id])
    assert resp.status_code == 201, resp.content
    assert CheckIn.objects.get().person_id == world.ong_tu.id


def test_it_counts_each_person_in_one_round_trip(world: Any, api: Any, venues: Any, path: str, monkeypatch: Any,
                                                  settings: Any) -> None:
    calls = []
    real = ratelimit.hits_and_counts
    monkeypatch.setattr(ratelimit, "hits_and_counts", lambda **kw: calls.append(kw) or real(**kw))
    settings.VENUE_CHECKIN_RATE_PER_MINUTE = 7
    people = [world.lan_self.id, world.lan_child.id, world.lan_parent.id]
    statuses = [checkin(api, world.lan, venues["open"]["code"], people).status_code for _ in range(3)]
    assert statuses == [201, 200, 429]
    # The API's own limits are one more call per request (api/middleware.py).
    mine = [c["hit"] for c in calls if any(key.startswith("venue-checkin:") for key in c["hit"])]
    assert mine == [[f"venue-checkin:{world.lan.id}"] * 3] * 3


@pytest.mark.postgres_only
def test_it_is_one_read_and_one_write(world: Any, api: Any, venues: Any) -> None:
    client = api.as_(world.lan)
    with CaptureQueriesContext(connection) as queries:
        resp = client.post("/checkins", {"venue_code": venues["open"]["code"], "person_ids": [world.lan_child.id]})
    assert resp.status_code == 201
    venue_sql = [q["sql"] for q in queries if "venues_" in q["sql"]]
    assert venue_sql[0].startswith("SELECT")
    assert 'FROM "venues_venue" a' in venue_sql[0]
    assert venue_sql[1].startswith("WITH asked AS")
    assert all("venues_checkin" not in sql for sql in venue_sql[2:] if "INSERT" in sql or "UPDATE" in sql)
    assert not any("audit_auditevent" in q["sql"] for q in queries if not q["sql"].startswith("WITH"))


def _scenario(world: Any, api: Any, venues: Any) -> list[tuple[Any, ...]]:
    """Every case, in order; each answer as (status, body) with check-in ids replaced by ranks."""
    code, other, closed = venues["open"]["code"], venues["other"]["code"], venues["closed"]["code"]
    lan, family = world.lan, [world.lan_self.id, world.lan_child.id]
    steps: list[tuple[datetime, Any, str, list[int] | None, dict[str, Any]]] = [
        (NOON, lan, "ZZZZZZ", None, {}),
        (NOON, lan, closed, None, {}),
        (NOON, lan, code, [world.lan_self.id, world.mai_self.id], {}),
        (NOON, lan, code, family, {}),
        (NOON + timedelta(minutes=5), lan, code, [world.lan_parent.id, *family], {}),
        (NOON + timedelta(minutes=5), lan, code, [world.lan_self.id, world.lan_self.id], {}),
        (NOON + timedelta(minutes=6), lan, code, None, {"at": iso(NOON - timedelta(minutes=20))}),
        (NOON + timedelta(minutes=30), lan, other, family, {"at": iso(NOON + timedelta(minutes=31))}),
        (NOON + timedelta(minutes=30), lan, other, family, {"at": iso(NOON + timedelta(minutes=32))}),
        (NOON + timedelta(minutes=30), lan, other, family, {"at": iso(NOON + timedelta(minutes=33))}),
        (NOON + timedelta(hours=1), lan, other, None, {"at": iso(NOON - timedelta(hours=71))}),
        (NOON + timedelta(hours=1), lan, other, None, {"at": iso(NOON - timedelta(hours=71, minutes=2))}),
        (NOON + timedelta(hours=1), world.mai, code, None, {}),
        (NOON + timedelta(hours=1), world.volunteer, code, [world.ong_tu.id], {}),
        (NOON + timedelta(hours=1), world.volunteer, code, [world.ong_tu.id, world.lan_self.id], {}),
        (NOON + timedelta(hours=1), lan, code, [2**63], {}),
    ]
    answers = []
    for moment, account, venue_code, people, extra in steps:
        with time_machine.travel(moment, tick=False):
            resp = checkin(api, account, venue_code, people, **extra)
        body = resp.json()
        answers.append((resp.status_code, body.get("error", {}).get("fields"), [
            {k: v for k, v in c.items() if k != "id"} for c in body.get("checkins", [])]))
    checkins = list(CheckIn.objects.order_by("id"))
    rank = {c.pk: i for i, c in enumerate(checkins)}
    rows_out = [(c.person_id, c.account_id, c.venue_index, venue_unseal(c.venue_sealed), c.at, c.day, c.via, c.created_at)
                for c in checkins]
    events = [(rank.get(int(e.object_id)), e.person_id, e.actor_id, e.object_type, e.data, e.at)
              for e in AuditEvent.objects.filter(action="checkin.create").order_by("id")]
    return [*answers, *rows_out, *events]


@pytest.mark.postgres_only
def test_both_paths_leave_the_same_rows_and_answers(world: Any, api: Any, venues: Any, monkeypatch: Any) -> None:
    one = _scenario(world, api, venues)
    CheckIn.objects.all().delete()
    AuditEvent.objects.filter(action="checkin.create").delete()
    cache.clear()
    monkeypatch.setattr(statements, "checkins_in_one_statement", lambda: False)
    portable = _scenario(world, api, venues)
    assert one == portable
    assert [a[0] for a in one[:16]] == [404, 404, 404, 201, 201, 200, 201, 201, 200, 400, 201, 400, 201, 201, 404, 404]


def _household_route(account: Any, person: Person) -> bool:
    try:
        return access_declaring(account, person.pk).declared_as != "volunteer"
    except Http404:
        return False


@pytest.mark.postgres_only
def test_the_household_sql_is_access_declaring_s_household_route(world: Any) -> None:
    people = list(Person.objects.order_by("pk"))
    ids = [p.pk for p in people]
    for account in (world.lan, world.mai, world.hung, world.volunteer, world.nam, world.province):
        sql, params = household_ids_sql(account, ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = {row[0] for row in cursor.fetchall()}
        expected = {person.pk for person in people if _household_route(account, person)}
        assert found == expected, account
    world.lan.is_active = False
    sql, params = household_ids_sql(world.lan, ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchall() == []
