"""Who declares for whom, and as what: `access_declaring` hands the relation on as a typed value
(issue 18, the leftover of issue 16: no hidden attribute on the Person instance)."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.monitoring.models import DailyUpdate
from khaibao.people.access import Declaring, access_declaring, access_person_for_declarer


@pytest.mark.parametrize(
    ("account", "person", "declared_as"),
    [("lan", "lan_self", "self"), ("lan", "lan_child", "household_owner"), ("volunteer", "ong_tu", "volunteer")],
)
def test_it_answers_the_person_and_the_relation(world, account, person, declared_as):
    found = access_declaring(getattr(world, account), getattr(world, person).id)
    assert isinstance(found, Declaring)
    assert found.person.pk == getattr(world, person).id
    assert found.declared_as == declared_as
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.declared_as = "self"  # type: ignore[misc]


def test_it_leaves_no_hidden_attribute_on_the_person(world):
    person = access_person_for_declarer(world.lan, world.lan_child.id)
    assert not [name for name in vars(person) if "declarer" in name]


def test_it_refuses_someone_elses_person_alike(world):
    with pytest.raises(Http404):
        access_declaring(world.mai, world.lan_child.id)
    with pytest.raises(Http404):
        access_declaring(world.mai, 10**12)


@pytest.mark.parametrize(
    ("account", "person", "declared_as"),
    [("lan", "lan_self", "self"), ("lan", "lan_child", "household_owner"), ("volunteer", "ong_tu", "volunteer")],
)
def test_it_stores_the_relation_with_what_was_declared(world, api, account, person, declared_as):
    client = api.as_(getattr(world, account))
    person_id = getattr(world, person).id
    resp = client.put(f"/people/{person_id}/updates/{ago(0)}", {"feeling": "well"})
    assert resp.status_code == 201, resp.content
    assert DailyUpdate.objects.get(person_id=person_id, day=ago(0)).updated_as == declared_as
    resp = client.post(f"/people/{person_id}/declarations", declaration())
    assert resp.status_code == 201, resp.content
    assert Declaration.objects.filter(person_id=person_id).latest("version").declared_as == declared_as


def _memberships_asked(client, person) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        resp = client.put(f"/people/{person.id}/updates/{ago(0)}", {"feeling": "well"})
    assert resp.status_code == 201, resp.content
    return [q["sql"] for q in queries if "people_householdmembership" in q["sql"]]


def test_it_asks_the_relation_once_on_the_daily_update(world, api):
    client = api.as_(world.lan)
    assert client.post(f"/people/{world.lan_child.id}/declarations", declaration()).status_code == 201

    # On PostgreSQL with the inputs' read (the access check joined to it), elsewhere access_declaring.
    memberships = _memberships_asked(client, world.lan_child)

    assert len(memberships) == 1, memberships


def test_before_the_first_declaration_the_relation_is_asked_again_on_postgresql(world, api):
    # No status row yet: the inputs' read with the access check finds nothing, and the view asks
    # access_declaring (a volunteer's delegation, or 404) — a second read of the relation, only for
    # a daily update sent before any declaration (api/daily_updates.py `_put_checked`).
    memberships = _memberships_asked(api.as_(world.lan), world.lan_child)

    assert len(memberships) == (2 if connection.vendor == "postgresql" else 1), memberships
