"""The household route as SQL (`household_access_sql`, for the status read's one statement) finds
exactly whom the household route of `access_person_for_user` finds, for every account and person of
the demo world — the twins are kept equal here (docs/architecture.md, "One owner per rule")."""

from __future__ import annotations

from typing import Any

from django.db import connection

from khaibao.accounts.models import Account
from khaibao.people.access import _household_person, household_access_sql
from khaibao.people.models import Person


def _found_by_sql(user: Any, person_id: int) -> bool:
    route = household_access_sql(user, person_id)
    if route is None:
        return False
    condition, params = route
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT people_person.id FROM people_person WHERE people_person.id = %s AND {condition}",  # noqa: S608 — the condition is the access module's literal
            [person_id, *params],
        )
        return cursor.fetchone() is not None


def test_it_finds_whom_the_household_route_finds(world: Any) -> None:
    people = list(Person.objects.order_by("pk"))
    accounts = list(Account.objects.order_by("pk"))
    assert len(people) > 5
    assert len(accounts) > 5
    seen = 0
    for user in accounts:
        for person in people:
            by_orm = _household_person(user, person.pk) is not None
            assert _found_by_sql(user, person.pk) == by_orm, (user.pk, user.role, person.pk)
            seen += by_orm
    assert seen >= 5  # Lan's household and the others' own people are among them


def test_it_has_no_route_for_an_inactive_account_or_an_impossible_id(world: Any) -> None:
    world.lan.is_active = False
    assert household_access_sql(world.lan, world.lan_child.id) is None
    world.lan.is_active = True
    assert household_access_sql(world.lan, 0) is None
    assert household_access_sql(world.lan, 2**63) is None
    assert household_access_sql(world.ward_official, world.lan_child.id) is None
    assert household_access_sql(world.volunteer, world.ong_tu.id) is not None  # the route exists; it finds no one
    assert not _found_by_sql(world.volunteer, world.ong_tu.id)
