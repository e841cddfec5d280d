"""A volunteer is asked to declare for someone never declared, not offered the one-tap "well
today" (review-browser finding 2: the list said "Updated today" while the person's pass stayed
grey, "declare first" at a checkpoint)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.declarations.tests.helpers import declaration
from khaibao.monitoring.selectors import volunteer_assisted
from khaibao.people.models import Person
from khaibao.people.tests.test_volunteers_web import register_form, signed_in

EN = {"Accept-Language": "en"}


def _declared(api: Any, world: Any, person: Any) -> None:
    resp = api.as_(world.volunteer).post(f"/people/{person.pk}/declarations", declaration())
    assert resp.status_code == 201, resp.content


def _registered(world: Any) -> Person:
    resp = signed_in(world.volunteer).post("/volunteer/register/", register_form(world))
    assert resp.status_code == 302, resp.content
    return Person.objects.get(full_name="Lê Thị Bảy")


def test_it_asks_to_declare_for_someone_never_declared(world: Any, api: Any) -> None:
    _declared(api, world, world.ong_tu)
    person = _registered(world)

    resp = signed_in(world.volunteer).get("/volunteer/", headers=EN)

    page = resp.content.decode()
    assert f"/volunteer/people/{person.pk}/well/" not in page
    assert f"/volunteer/people/{world.ong_tu.id}/well/" in page  # declared before: the one tap stays
    assert "Not declared yet" in page
    assert f'href="/people/{person.pk}/declare/"' in page
    assert [e.person.pk for e in resp.context["to_declare"]] == [person.pk]
    assert [e.person.pk for e in resp.context["to_update"]] == [world.ong_tu.id]
    vi = signed_in(world.volunteer).get("/volunteer/", headers={"Accept-Language": "vi"}).content.decode()
    assert "1 người chưa khai báo" in vi
    assert "Hôm nay Lê Thị Bảy khỏe" not in vi


def test_it_does_not_say_everyone_is_done_while_someone_is_undeclared(world: Any, api: Any) -> None:
    _declared(api, world, world.ong_tu)
    signed_in(world.volunteer).post(f"/volunteer/people/{world.ong_tu.id}/well/")
    person = _registered(world)
    page = signed_in(world.volunteer).get("/volunteer/", headers=EN).content.decode()
    assert "Everyone you assist has today's update." not in page
    # Even an update sent for them (the API allows it) does not make them "updated" here.
    signed_in(world.volunteer).post(f"/volunteer/people/{person.pk}/well/")
    page = signed_in(world.volunteer).get("/volunteer/", headers=EN).content.decode()
    assert "Updated today" in page  # Ông Tư
    assert "Not declared yet" in page


def test_the_api_says_whether_each_person_declared(world: Any, api: Any) -> None:
    _declared(api, world, world.ong_tu)
    person = _registered(world)
    client = api.as_(world.volunteer)

    declared = {e["person"]["id"]: e["declared"] for e in client.get("/volunteers/assisted").json()}
    assert declared == {world.ong_tu.id: True, person.pk: False}

    _declared(api, world, person)
    declared = {e["person"]["id"]: e["declared"] for e in client.get("/volunteers/assisted").json()}
    assert declared[person.pk] is True
    page = signed_in(world.volunteer).get("/volunteer/", headers=EN).content.decode()
    assert f"/volunteer/people/{person.pk}/well/" in page


def test_the_list_reads_the_status_rows_once(world: Any) -> None:
    _registered(world)
    with CaptureQueriesContext(connection) as ctx:
        entries = volunteer_assisted(account=world.volunteer)
    assert len(entries) == 2
    assert sum("monitoring_personstatus" in q["sql"] for q in ctx.captured_queries) == 1
