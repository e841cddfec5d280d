"""The citizen home page shows, for each person of the household, their risk level in words with
its colour (as their status page words it) and the level of the epidemic zone their home ward is
in — without a query per person."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from khaibao.people.models import HouseholdMembership, Person
from khaibao.tracing.tests.helpers import contact, make_f0
from khaibao.zones.inputs import ZoneInput
from khaibao.zones.zones import zone_declare


@pytest.fixture
def lan_browser(world: Any) -> Client:
    client = Client()
    client.force_login(world.lan)
    return client


def person_line(page: str, person: Any) -> str:
    match = re.search(rf'<li class="person[^"]*" data-person="{person.id}">(.*?)</li>', page, re.S)
    assert match, f"no line for {person.full_name}"
    return match.group(1)


def test_it_shows_each_persons_level_in_words_with_its_colour(world, api, lan_browser):
    make_f0(world, api, world.lan_self)  # a confirmed case: urgent
    # Her father, traced as a close contact of another case (F1): high, and not declared yet.
    make_f0(world, api, world.hung_self)
    resp = api.as_(world.province_hcm).post(
        f"/cases/{world.hung_self.id}/contacts",
        contact(full_name="Nguyễn Văn Bình", phone=None, id_number="001055000003", ward_code=world.hoan_kiem.code),
    )
    assert resp.status_code == 201, resp.content

    page = lan_browser.get("/").content.decode()

    lan = person_line(page, world.lan_self)
    assert "Mức nguy cơ: Khẩn cấp." in lan
    assert 'class="person-level level-red"' in lan
    assert f'href="/people/{world.lan_self.id}/"' in lan
    parent = person_line(page, world.lan_parent)
    assert "Mức nguy cơ: Cao." in parent
    assert 'class="person-level level-orange"' in parent
    assert "Chưa khai báo." in parent  # still to declare: the way to do it stays
    # No assessment yet: nothing but "not declared yet", no level and no code.
    child = person_line(page, world.lan_child)
    assert "Chưa khai báo." in child
    assert "Mức nguy cơ" not in child
    assert "urgent" not in page
    assert ">high<" not in page


def test_it_shows_the_zone_level_of_a_home_ward_in_a_zone(world, lan_browser):
    zone_declare(actor=world.national, data=ZoneInput(name="Phường Hoàn Kiếm", level=4, ward_codes=[world.hoan_kiem.code]))

    page = lan_browser.get("/").content.decode()

    for person in (world.lan_self, world.lan_child, world.lan_parent):  # all live in Hoàn Kiếm
        line = person_line(page, person)
        assert "Nơi ở thuộc vùng dịch: Phường Hoàn Kiếm" in line
        assert "Cấp độ 4 — đỏ" in line
        assert 'class="person-zone level-red"' in line


def test_it_shows_no_zone_for_a_home_ward_outside_every_zone(world, lan_browser):
    zone_declare(actor=world.national, data=ZoneInput(name="Phường Ba Đình", level=3, ward_codes=[world.ba_dinh.code]))

    page = lan_browser.get("/").content.decode()

    assert "vùng dịch:" not in person_line(page, world.lan_self)


def test_it_reads_levels_and_zones_without_a_query_per_person(world, api, lan_browser):
    zone_declare(actor=world.national, data=ZoneInput(name="Phường Hoàn Kiếm", level=2, ward_codes=[world.hoan_kiem.code]))
    make_f0(world, api, world.lan_self)
    lan_browser.get("/")  # the zone index is built once per change, not per page
    with CaptureQueriesContext(connection) as three:
        lan_browser.get("/")
    for n in range(3):
        person = Person.objects.create(
            full_name=f"Trần Văn Em {n}", birth_year=2010, sex="male", home_ward=world.hoan_kiem,
        )
        HouseholdMembership.objects.create(owner=world.lan, person=person, relation="child")
    with CaptureQueriesContext(connection) as six:
        page = lan_browser.get("/").content.decode()

    assert page.count("Cấp độ 2 — vàng") == 6
    assert len(six.captured_queries) == len(three.captured_queries)


def test_it_reads_the_zones_once_whatever_the_number_of_home_wards(world, lan_browser):
    lan_browser.get("/")  # the zone index is built once per change, not per page
    with CaptureQueriesContext(connection) as before:
        lan_browser.get("/")
    for n, ward in enumerate([world.ba_dinh, world.sai_gon, world.ben_thanh]):
        person = Person.objects.create(full_name=f"Trần Văn Em {n}", birth_year=2010, sex="male", home_ward=ward)
        HouseholdMembership.objects.create(owner=world.lan, person=person, relation="child")
    with CaptureQueriesContext(connection) as after:
        lan_browser.get("/")

    assert len(after.captured_queries) == len(before.captured_queries)
