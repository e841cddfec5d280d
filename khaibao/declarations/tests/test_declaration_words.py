"""A declaration's codes come with their words everywhere it is read (docs/api.md, "Codes and
their words"): the API's `kind_label`, `declared_as_label` and `declared_by_volunteer` ("declared
by volunteer X for Y"), the "My data" export and the pages' phrase — all from declarations.labels
(seams review, finding 3: the API had the codes only and dropped the volunteer's name)."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from khaibao.declarations.labels import declared_by_phrase
from khaibao.declarations.tests.helpers import declaration
from khaibao.privacy.selectors import household_export_data


def _url(person: Any, suffix: str = "declarations") -> str:
    return f"/api/v1/people/{person.id}/{suffix}"


def test_the_api_puts_words_beside_the_kind_and_who_declared(world: Any, api: Any) -> None:
    created = api.as_(world.lan).post(_url(world.lan_self), declaration())
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["kind_label"]) == ("universal", "Khai báo y tế")
    assert (body["declared_as"], body["declared_as_label"]) == ("self", "Bản thân")
    assert body["declared_by_volunteer"] is None

    (item,) = api.as_(world.lan).get(_url(world.lan_self), headers={"Accept-Language": "en"}).json()["items"]
    assert (item["kind_label"], item["declared_as_label"]) == ("Health declaration", "Themselves")

    with translation.override("vi"):
        people = household_export_data(account=world.lan)["people"]
    (exported,) = next(p for p in people if p["id"] == world.lan_self.id)["declarations"]
    assert (exported["kind_label"], exported["declared_as_label"]) == ("Khai báo y tế", "Bản thân")


def test_the_api_names_the_volunteer_who_declared(world: Any, api: Any) -> None:
    volunteer = api.as_(world.volunteer)
    created = volunteer.post(_url(world.ong_tu), declaration())
    assert created.status_code == 201, created.content
    assert world.volunteer.display_name
    assert created.json()["declared_by_volunteer"] == world.volunteer.display_name

    (item,) = volunteer.get(_url(world.ong_tu)).json()["items"]
    assert (item["declared_as"], item["declared_by_volunteer"]) == ("volunteer", world.volunteer.display_name)
    assert item["declared_as_label"] == "Tình nguyện viên"


def test_the_pages_say_the_same_words(world: Any, api: Any, client: Any) -> None:
    assert api.as_(world.volunteer).post(_url(world.ong_tu), declaration()).status_code == 201
    phrase = declared_by_phrase(declared_as="volunteer", volunteer=world.volunteer.display_name, name="Nguyễn Văn Tư")
    assert phrase == f"do tình nguyện viên {world.volunteer.display_name} khai báo giúp Nguyễn Văn Tư"

    client.force_login(world.volunteer)
    page = client.get(f"/people/{world.ong_tu.id}/")
    assert page.status_code == 200, page.status_code
    assert phrase in " ".join(page.content.decode().split())
