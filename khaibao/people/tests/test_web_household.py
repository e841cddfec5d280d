"""The household pages: /household/ and its add, edit and remove forms."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from khaibao.accounts.models import Account, Role
from khaibao.audit.models import AuditEvent
from khaibao.people.models import HouseholdMembership, Person


@pytest.fixture
def browser() -> Client:
    return Client()


def signed_in(account: Account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def form(world: Any, **overrides: Any) -> dict[str, Any]:
    """The add form's fields; an override of None leaves that field out (as a browser sends an
    unanswered radio)."""
    data = {
        "relation": "spouse", "full_name": "Trần Văn Cường", "date_of_birth": "", "birth_year": "1985",
        "sex": "male", "nationality": "VN", "id_number": "001085000123", "phone": "",
        "province": world.hanoi.code, "ward_code": world.hoan_kiem.code, "street": "Số 1 phố Demo",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_it_sends_strangers_to_the_sign_in_page(world, browser):
    for url in ["/household/", "/household/add/", f"/household/{world.lan_child.id}/edit/", "/household/export.json"]:
        resp = browser.get(url)
        assert resp.status_code == 302
        assert resp["Location"].startswith("/sign-in/?next=")


def test_it_sends_staff_to_the_citizen_sign_in_page(world):
    resp = signed_in(world.ward_official).get("/household/")
    assert resp.status_code == 302
    assert resp["Location"].startswith(("/sign-in/", "/staff/")), resp["Location"]


def test_it_lists_the_household_with_masked_ids_and_status_links(world):
    resp = signed_in(world.lan).get("/household/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "Nguyễn Thị Lan" in html
    assert "Trần Minh An" in html
    assert "Nguyễn Văn Bình" in html
    assert world.lan_self.id_number not in html
    assert "•••••••••001" in html
    assert f'href="/people/{world.lan_child.id}/"' in html
    assert f"/household/{world.lan_child.id}/edit/" in html
    assert "/household/export.json" in html
    assert "Trần Thu Hà" not in html


def test_it_shows_an_empty_household_what_to_do(world):
    owner = Account.objects.create(role=Role.CITIZEN, display_name="Mới")
    resp = signed_in(owner).get("/household/")
    assert resp.status_code == 200
    assert "/household/add/" in resp.content.decode()
    assert resp.context["household"] == []
    add = signed_in(owner).get("/household/add/")
    assert add.context["form"].initial["relation"] == "self"


def test_it_shows_a_volunteer_the_people_they_assist(world):
    html = signed_in(world.volunteer).get("/household/").content.decode()
    assert "Nguyễn Văn Tư" in html
    assert f"/household/{world.ong_tu.id}/remove/" in html


def test_it_adds_a_family_member_from_the_form(world):
    client = signed_in(world.lan)
    page = client.get("/household/add/")
    assert page.status_code == 200
    # The address starts as the owner's; "self" is no longer offered.
    assert page.context["form"].initial["ward_code"] == world.hoan_kiem.code
    assert "self" not in dict(page.context["form"].fields["relation"].choices)
    resp = client.post("/household/add/", form(world))
    assert resp.status_code == 302
    assert resp["Location"] == "/household/"
    person = Person.objects.get(full_name="Trần Văn Cường")
    assert HouseholdMembership.objects.get(person=person).owner == world.lan
    assert "Trần Văn Cường" in client.get("/household/").content.decode()


def test_it_keeps_what_was_typed_and_shows_errors_next_to_the_fields(world):
    client = signed_in(world.lan)
    resp = client.post("/household/add/", form(world, full_name="Trần Văn Cường", id_number="12345", birth_year="2999"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'value="Trần Văn Cường"' in html
    assert 'value="12345"' in html
    assert "id_id_number_error" in html
    assert "id_birth_year_error" in html
    assert not Person.objects.filter(full_name="Trần Văn Cường").exists()


def test_it_adds_a_person_with_a_number_someone_else_holds_like_any_other(world):
    # No registration oracle (issue 18, item 4): the page answers as for any new person.
    resp = signed_in(world.mai).post("/household/add/", form(world, id_number=world.lan_self.id_number, relation="sibling"))
    assert resp.status_code == 302
    assert "Nguyễn Thị Lan" not in resp.content.decode()
    person = Person.objects.filter(households__owner=world.mai).order_by("-pk").first()
    assert person is not None
    assert person.id_number_reviews.get().holder_id == world.lan_self.id


def test_it_reloads_the_wards_of_another_province_without_losing_the_input(world):
    client = signed_in(world.lan)
    resp = client.post("/household/add/", form(world, province=world.hcmc.code, _reload_wards="1", full_name="Cường"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'value="Cường"' in html
    ward_choices = dict(resp.context["form"].fields["ward_code"].choices)
    assert world.ben_thanh.code in ward_choices
    assert world.hoan_kiem.code not in ward_choices
    assert "field-error" not in html
    assert not Person.objects.filter(full_name="Cường").exists()


def test_it_serves_the_ward_select_for_htmx(world):
    resp = signed_in(world.lan).get("/household/wards/", {"province": world.hcmc.code}, headers={"HX-Request": "true"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.strip().startswith('<div id="ward-field">')
    assert "Phường Bến Thành" in html
    assert "Phường Hoàn Kiếm" not in html


def test_it_refuses_a_ward_outside_the_chosen_province(world):
    resp = signed_in(world.lan).post("/household/add/", form(world, province=world.hcmc.code, ward_code=world.hoan_kiem.code))
    assert resp.status_code == 200
    assert "ward_code" in resp.context["form"].errors


def test_it_edits_a_person_and_keeps_the_hidden_id_number(world):
    client = signed_in(world.lan)
    page = client.get(f"/household/{world.lan_parent.id}/edit/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Nguyễn Văn Bình" in html
    assert world.lan_parent.id_number not in html
    assert "•••••••••003" in html
    data = form(world, relation="grandparent", full_name="Nguyễn Văn Bình", date_of_birth="1955-01-20",
                birth_year="", id_number="", street="9 Hàng Đào")
    resp = client.post(f"/household/{world.lan_parent.id}/edit/", data)
    assert resp.status_code == 302, resp.context["form"].errors
    world.lan_parent.refresh_from_db()
    assert world.lan_parent.street == "9 Hàng Đào"
    assert world.lan_parent.id_number == "001055000003"
    assert HouseholdMembership.objects.get(owner=world.lan, person=world.lan_parent).relation == "grandparent"


def test_it_keeps_what_was_typed_when_an_edit_is_refused(world):
    client = signed_in(world.lan)
    data = form(world, relation="parent", full_name="Nguyễn Văn Bình Mới", birth_year="1954",
                date_of_birth="1955-01-20", id_number="")
    resp = client.post(f"/household/{world.lan_parent.id}/edit/", data)
    assert resp.status_code == 200
    assert "birth_year" in resp.context["form"].errors
    assert 'value="Nguyễn Văn Bình Mới"' in resp.content.decode()
    world.lan_parent.refresh_from_db()
    assert world.lan_parent.full_name == "Nguyễn Văn Bình"


def test_it_does_not_offer_to_change_the_self_relation(world):
    page = signed_in(world.lan).get(f"/household/{world.lan_self.id}/edit/")
    assert "relation" not in page.context["form"].fields


def test_it_asks_before_removing_and_removes_on_post(world):
    client = signed_in(world.lan)
    page = client.get(f"/household/{world.lan_child.id}/remove/")
    assert page.status_code == 200
    assert "Trần Minh An" in page.content.decode()
    assert 'name="confirmed" value="1"' in page.content.decode()
    assert Person.objects.filter(pk=world.lan_child.id).exists()
    resp = client.post(f"/household/{world.lan_child.id}/remove/", {"confirmed": "1"})
    assert resp.status_code == 302
    assert not HouseholdMembership.objects.filter(owner=world.lan, person_id=world.lan_child.id).exists()
    after = client.get("/household/")
    assert [p["full_name"] for p in after.context["household"]] == ["Nguyễn Thị Lan", "Nguyễn Văn Bình"]
    assert "Trần Minh An" in after.content.decode()  # only in the confirmation message


def test_it_removes_nobody_on_a_bare_post(world):
    """Removing is destructive: a POST without the confirmation page's field (an old page, a
    script) is answered with the shared confirmation page and changes nothing."""
    client = signed_in(world.lan)
    url = f"/household/{world.lan_child.id}/remove/"
    resp = client.post(url, headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    text = resp.content.decode()
    assert "Remove Trần Minh An from your household?" in text
    assert "Declarations already sent are kept for the health authorities" in text
    assert 'name="confirmed" value="1"' in text
    assert 'href="/household/">Cancel</a>' in text
    assert HouseholdMembership.objects.filter(owner=world.lan, person_id=world.lan_child.id).exists()
    assert not AuditEvent.objects.filter(actor=world.lan, action__contains="remove").exists()


def test_it_asks_a_volunteer_before_they_stop_assisting(world):
    client = signed_in(world.volunteer)
    url = f"/household/{world.ong_tu.id}/remove/"
    text = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    assert "Stop assisting Nguyễn Văn Tư?" in text
    assert "Yes, stop assisting" in text
    client.post(url)
    assert client.get("/household/").content.decode().count(f"/household/{world.ong_tu.id}/remove/") == 1


@pytest.mark.parametrize("action", ["edit", "remove"])
def test_it_answers_404_for_another_households_person_on_the_pages(world, action):
    client = signed_in(world.mai)
    assert client.get(f"/household/{world.lan_child.id}/{action}/").status_code == 404
    assert client.post(f"/household/{world.lan_child.id}/{action}/", {**form(world), "confirmed": "1"}).status_code == 404
    assert HouseholdMembership.objects.filter(owner=world.lan, person=world.lan_child).exists()


def test_it_links_each_person_on_the_home_page_to_their_status(world):
    html = signed_in(world.lan).get("/").content.decode()
    assert f'href="/people/{world.lan_child.id}/"' in html
    assert 'href="/household/"' in html


def test_it_says_the_household_is_full_on_the_page(world, settings):
    # Issue 18, item 6: the limit's message on the page, in Vietnamese, with the form kept.
    settings.HOUSEHOLD_MAX_PEOPLE = HouseholdMembership.objects.filter(owner=world.lan).count()
    resp = signed_in(world.lan).post("/household/add/", form(world, relation="child", id_number="", birth_year="2019"))
    assert resp.status_code in (200, 400, 409)
    html = resp.content.decode()
    assert "Một hộ có tối đa" in html
    assert 'value="Trần Văn Cường"' in html
    assert not Person.objects.filter(full_name="Trần Văn Cường").exists()
