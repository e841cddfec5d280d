"""/household/add/ reports every error it can know in one round: the add's own rules (an ID number
required by age, people.persons) run on the fields that are valid even when another field failed;
and removing oneself says what it does to one's own entry."""

from __future__ import annotations

from typing import Any

from khaibao.people.models import HouseholdMembership, Person
from khaibao.people.tests.test_web_household import form as household_form
from khaibao.people.tests.test_web_household import signed_in

# A 76-year-old grandparent without an ID number: the add's rules then ask for one.
ELDER = {"relation": "grandparent", "full_name": "Nguyễn Văn Cả", "birth_year": "1950", "id_number": "", "street": ""}


def form(world: Any, **overrides: Any) -> dict[str, Any]:
    return household_form(world, **{**ELDER, **overrides})


def test_it_asks_for_the_sex_and_the_id_number_of_an_elder_at_once(world):
    resp = signed_in(world.lan).post("/household/add/", form(world, sex=None), headers={"Accept-Language": "vi"})
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert set(errors) == {"sex", "id_number"}
    assert "từ 14 tuổi" in errors["id_number"][0]
    html = resp.content.decode()
    assert "id_sex_error" in html
    assert "id_id_number_error" in html
    assert not Person.objects.filter(full_name="Nguyễn Văn Cả").exists()


def test_it_asks_for_no_id_number_of_a_child_when_another_field_failed(world):
    resp = signed_in(world.lan).post("/household/add/", form(world, sex=None, relation="child", birth_year="2020"))
    assert set(resp.context["form"].errors) == {"sex"}


def test_it_guesses_nothing_from_a_year_of_birth_it_could_not_read(world):
    # The year is wrong: no "give the date of birth" and no ID-number rule built on a guess.
    resp = signed_in(world.lan).post("/household/add/", form(world, sex=None, birth_year="2999"))
    assert set(resp.context["form"].errors) == {"sex", "birth_year"}


def test_it_still_adds_once_everything_is_right(world):
    client = signed_in(world.lan)
    resp = client.post("/household/add/", form(world, id_number="001050000777"))
    assert resp.status_code == 302
    assert HouseholdMembership.objects.filter(owner=world.lan, person__full_name="Nguyễn Văn Cả").exists()


def test_it_says_what_removing_oneself_does(world):
    client = signed_in(world.lan)
    url = f"/household/{world.lan_self.id}/remove/"
    page = client.get(url, headers={"Accept-Language": "vi"}).content.decode()
    assert "Xóa chính bạn (Nguyễn Thị Lan) khỏi hộ gia đình của bạn?" in page
    assert "cho người này nữa" not in page
    assert "Những người khác trong hộ gia đình vẫn được giữ nguyên" in page
    assert "Có, xóa chính tôi" in page
    english = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    assert "Remove yourself (Nguyễn Thị Lan) from your household?" in english
    assert "until you add yourself again" in english

    resp = client.post(url, {"confirmed": "1"})
    assert resp.status_code == 302
    after = client.get("/household/")
    assert [p["full_name"] for p in after.context["household"]] == ["Trần Minh An", "Nguyễn Văn Bình"]


def test_it_keeps_the_family_wording_for_anyone_else(world):
    page = signed_in(world.lan).get(f"/household/{world.lan_child.id}/remove/", headers={"Accept-Language": "vi"})
    text = page.content.decode()
    assert "Xóa Trần Minh An khỏi hộ gia đình của bạn?" in text
    assert "chính bạn" not in text
