"""The household API: /api/v1/people and /api/v1/people/{id}."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.accounts.models import Account, Role
from khaibao.audit.models import AuditEvent
from khaibao.people.models import Delegation, HouseholdMembership, IdNumberReview, Person


def new_citizen(phone: str = "+84912345670") -> Account:
    from khaibao.accounts.phones import phone_index

    return Account.objects.create(phone=phone, phone_index=phone_index(phone), role=Role.CITIZEN)


def child(**overrides: Any) -> dict[str, Any]:
    body = {"full_name": "Trần Minh Khang", "date_of_birth": "2019-05-01", "sex": "male", "relation": "child"}
    body.update(overrides)
    return body


def adult(**overrides: Any) -> dict[str, Any]:
    body = {
        "full_name": "Trần Văn Cường", "birth_year": 1985, "sex": "male", "relation": "spouse",
        "id_number": "001085000123",
    }
    body.update(overrides)
    return body


# --- create and list -----------------------------------------------------------------------


def test_it_adds_a_child_with_the_owners_address(world, api):
    resp = api.as_(world.lan).post("/people", child())
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["relation"] == "child"
    assert body["assisted"] is False
    assert body["ward_code"] == world.hoan_kiem.code
    assert body["street"] == world.lan_self.street
    assert body["birth_year"] == 2019
    assert body["nationality"] == "VN"
    assert body["id_number"] is None
    person = Person.objects.get(pk=body["id"])
    assert HouseholdMembership.objects.filter(owner=world.lan, person=person, relation="child").exists()
    assert AuditEvent.objects.filter(action="person.create", person_id=person.pk, actor=world.lan).exists()


def test_it_does_not_copy_the_street_into_another_ward(world, api):
    resp = api.as_(world.lan).post("/people", adult(ward_code=world.ben_thanh.code))
    assert resp.status_code == 201, resp.json()
    assert resp.json()["ward_code"] == world.ben_thanh.code
    assert resp.json()["street"] == ""


def test_it_masks_the_id_number_and_phone_in_every_response(world, api):
    client = api.as_(world.lan)
    created = client.post("/people", adult(phone="0912 345 678")).json()
    assert created["id_number"] == "•••••••••123"
    assert created["phone"] == "+849•••••678"
    listed = {p["id"]: p for p in client.get("/people").json()}
    assert listed[created["id"]]["id_number"] == "•••••••••123"
    detail = client.get(f"/people/{created['id']}").json()
    assert detail["phone"] == "+849•••••678"
    for text in (str(created), str(listed), str(detail)):
        assert "001085000123" not in text
        assert "912345678" not in text
    stored = Person.objects.get(pk=created["id"])
    assert stored.id_number == "001085000123"
    assert stored.phone == "+84912345678"


def test_it_lists_self_first_then_the_family(world, api):
    resp = api.as_(world.lan).get("/people")
    assert resp.status_code == 200
    body = resp.json()
    assert [p["full_name"] for p in body] == ["Nguyễn Thị Lan", "Trần Minh An", "Nguyễn Văn Bình"]
    assert [p["relation"] for p in body] == ["self", "child", "parent"]
    assert all(p["assisted"] is False for p in body)


def test_it_lists_the_people_a_volunteer_assists(world, api):
    body = api.as_(world.volunteer).get("/people").json()
    by_name = {p["full_name"]: p for p in body}
    assert by_name["Trần Thu Hà"]["relation"] == "self"
    assert by_name["Nguyễn Văn Tư"] == by_name["Nguyễn Văn Tư"] | {"relation": None, "assisted": True}
    assert "Nguyễn Thị Lan" not in by_name


def test_it_stops_listing_an_assisted_person_once_the_delegation_ends(world, api):
    from django.utils import timezone

    Delegation.objects.filter(person=world.ong_tu).update(ended_at=timezone.now())
    client = api.as_(world.volunteer)
    assert "Nguyễn Văn Tư" not in [p["full_name"] for p in client.get("/people").json()]
    assert client.get(f"/people/{world.ong_tu.id}").status_code == 404


def test_it_lists_the_household_in_a_bounded_number_of_queries(world, api, django_assert_max_num_queries):
    client = api.as_(world.volunteer)
    for i in range(5):
        resp = client.post("/people", child(full_name=f"Bé {chr(0x41 + i)}"))
        assert resp.status_code == 201
    with django_assert_max_num_queries(4):
        resp = client.get("/people")
    assert len(resp.json()) == 7


def test_it_adds_oneself_first_and_refuses_a_second_self(world, api):
    owner = new_citizen()
    client = api.as_(owner)
    no_ward = client.post("/people", adult(relation="self"))
    assert no_ward.status_code == 400
    assert "ward_code" in no_ward.json()["error"]["fields"]
    first = client.post("/people", adult(relation="self", ward_code=world.sai_gon.code, street="12 Lê Lợi"))
    assert first.status_code == 201, first.json()
    assert Person.objects.get(pk=first.json()["id"]).account == owner
    second = client.post("/people", adult(relation="self", id_number="001085000999"))
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "duplicate_self"
    family = client.post("/people", child())
    assert family.json()["ward_code"] == world.sai_gon.code
    assert family.json()["street"] == "12 Lê Lợi"


def test_it_honours_the_idempotency_key(world, api):
    client = api.as_(world.lan)
    headers = {"Idempotency-Key": "add-khang-1"}
    first = client.post("/people", child(), headers=headers)
    again = client.post("/people", child(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Person.objects.filter(full_name="Trần Minh Khang").count() == 1


# --- duplicate ID number -------------------------------------------------------------------


def test_it_accepts_an_id_number_registered_in_another_household_and_hands_it_to_review(world, api):
    # No registration oracle (issue 18, item 4): the answer is that of any other person.
    resp = api.as_(world.mai).post("/people", adult(id_number=world.lan_self.id_number))
    assert resp.status_code == 201, resp.content
    text = str(resp.json())
    for hint in ("Lan", "Nguyễn", "Hoàn Kiếm", "registered", "duplicate"):
        assert hint not in text
    review = IdNumberReview.objects.get(person_id=resp.json()["id"])
    assert review.holder_id == world.lan_self.id


def test_it_recognises_a_duplicate_id_number_typed_differently(world, api):
    spaced = " ".join([world.hung_self.id_number[:6], world.hung_self.id_number[6:]])
    resp = api.as_(world.mai).post("/people", adult(id_number=spaced))
    assert resp.status_code == 201
    assert IdNumberReview.objects.get(person_id=resp.json()["id"]).holder_id == world.hung_self.id


def test_it_accepts_a_duplicate_id_number_on_update_and_hands_it_to_review(world, api):
    resp = api.as_(world.lan).patch(f"/people/{world.lan_parent.id}", {"id_number": world.mai_self.id_number})
    assert resp.status_code == 200
    assert "Mai" not in str(resp.json())
    world.lan_parent.refresh_from_db()
    assert world.lan_parent.id_number == world.mai_self.id_number
    assert IdNumberReview.objects.filter(person=world.lan_parent, holder=world.mai_self).exists()


def test_it_lets_a_person_keep_their_own_id_number_on_update(world, api):
    resp = api.as_(world.lan).patch(f"/people/{world.lan_parent.id}", {"id_number": "001055000003", "full_name": "Nguyễn Văn Bình"})
    assert resp.status_code == 200, resp.json()


# --- update --------------------------------------------------------------------------------


def test_it_updates_only_the_fields_sent_and_audits_their_names(world, api):
    resp = api.as_(world.lan).patch(
        f"/people/{world.lan_parent.id}", {"phone": "0987654321", "street": "5 Hàng Bạc", "relation": "grandparent"}
    )
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["full_name"] == "Nguyễn Văn Bình"
    assert body["street"] == "5 Hàng Bạc"
    assert body["relation"] == "grandparent"
    assert body["phone"] == "+849•••••321"
    event = AuditEvent.objects.filter(action="person.update", person_id=world.lan_parent.id).get()
    assert set(event.data["fields"]) == {"phone", "street", "relation"}
    assert "0987654321" not in str(event.data)
    assert "Hàng Bạc" not in str(event.data)


def test_it_keeps_the_year_in_step_with_a_new_date_of_birth(world, api):
    resp = api.as_(world.lan).patch(f"/people/{world.lan_parent.id}", {"date_of_birth": "1956-02-01"})
    assert resp.status_code == 200
    assert resp.json()["birth_year"] == 1956


def test_it_clears_a_date_of_birth_to_keep_only_the_year(world, api):
    client = api.as_(world.lan)
    mismatch = client.patch(f"/people/{world.lan_parent.id}", {"birth_year": 1954})
    assert mismatch.status_code == 400
    assert "birth_year" in mismatch.json()["error"]["fields"]
    resp = client.patch(f"/people/{world.lan_parent.id}", {"birth_year": 1954, "date_of_birth": None})
    assert resp.status_code == 200
    assert resp.json()["date_of_birth"] is None
    assert resp.json()["birth_year"] == 1954


def test_it_never_changes_the_self_entry_relation(world, api):
    client = api.as_(world.lan)
    resp = client.patch(f"/people/{world.lan_self.id}", {"relation": "spouse"})
    assert resp.status_code == 400
    assert "relation" in resp.json()["error"]["fields"]
    resp = client.patch(f"/people/{world.lan_parent.id}", {"relation": "self"})
    assert resp.status_code == 400


def test_it_lets_a_volunteer_edit_an_assisted_person_but_not_their_relation(world, api):
    client = api.as_(world.volunteer)
    resp = client.patch(f"/people/{world.ong_tu.id}", {"street": "Ngõ 7 phố Demo", "id_number": "001038000010"})
    assert resp.status_code == 200, resp.json()
    assert resp.json()["assisted"] is True
    resp = client.patch(f"/people/{world.ong_tu.id}", {"relation": "parent"})
    assert resp.status_code == 400


# --- remove --------------------------------------------------------------------------------


def test_it_deletes_a_person_without_history_when_removed(world, api):
    person_id = api.as_(world.lan).post("/people", child()).json()["id"]
    resp = api.as_(world.lan).delete(f"/people/{person_id}")
    assert resp.status_code == 204
    assert not Person.objects.filter(pk=person_id).exists()
    event = AuditEvent.objects.get(action="household.person_remove", person_id=person_id)
    assert event.data == {"relation": "child", "outcome": "deleted"}


def test_it_keeps_a_person_with_declarations_when_removed(world, api):
    from khaibao.declarations.models import Declaration

    Declaration.objects.create(
        person=world.lan_child, version=1, declared_as="household_owner", questionnaire_version="1",
        consent_version="1", commitment=True, consent=True,
    )
    resp = api.as_(world.lan).delete(f"/people/{world.lan_child.id}")
    assert resp.status_code == 204
    assert Person.objects.filter(pk=world.lan_child.id).exists()
    assert not HouseholdMembership.objects.filter(owner=world.lan, person=world.lan_child).exists()
    assert api.as_(world.lan).get(f"/people/{world.lan_child.id}").status_code == 404
    event = AuditEvent.objects.get(action="household.person_remove", person_id=world.lan_child.id)
    assert event.data["outcome"] == "kept"


def test_it_keeps_a_person_another_household_still_declares_for(world, api):
    HouseholdMembership.objects.create(owner=world.mai, person=world.lan_parent, relation="other")
    assert api.as_(world.lan).delete(f"/people/{world.lan_parent.id}").status_code == 204
    assert api.as_(world.mai).get(f"/people/{world.lan_parent.id}").status_code == 200


def test_it_ends_the_delegation_when_a_volunteer_removes_an_assisted_person(world, api):
    resp = api.as_(world.volunteer).delete(f"/people/{world.ong_tu.id}")
    assert resp.status_code == 204
    assert not Delegation.objects.filter(person_id=world.ong_tu.id, ended_at__isnull=True).exists()
    assert api.as_(world.volunteer).get(f"/people/{world.ong_tu.id}").status_code == 404


def test_it_unlinks_the_account_when_self_is_kept_and_allows_adding_self_again(world, api):
    from khaibao.declarations.models import Declaration

    Declaration.objects.create(
        person=world.mai_self, version=1, declared_as="self", questionnaire_version="1",
        consent_version="1", commitment=True, consent=True,
    )
    client = api.as_(world.mai)
    assert client.delete(f"/people/{world.mai_self.id}").status_code == 204
    world.mai_self.refresh_from_db()
    assert world.mai_self.account is None
    resp = client.post("/people", adult(relation="self", full_name="Lê Thị Mai", id_number="B1234567",
                                        ward_code=world.ba_dinh.code))
    assert resp.status_code == 201, resp.json()


# --- scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_it_answers_404_for_another_households_person(world, api, method):
    client = api.as_(world.mai)
    target = world.lan_child.id
    resp = client.patch(f"/people/{target}", {"street": "x"}) if method == "patch" else getattr(client, method)(f"/people/{target}")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"
    missing = client.get("/people/999999999")
    assert missing.json() == resp.json()
    assert Person.objects.get(pk=target).street == "Số 1 phố Demo"
    assert HouseholdMembership.objects.filter(person_id=target, owner=world.lan).exists()


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_it_hides_people_a_volunteer_does_not_assist(world, api, method):
    client = api.as_(world.volunteer)
    target = world.lan_parent.id
    resp = client.patch(f"/people/{target}", {"street": "x"}) if method == "patch" else getattr(client, method)(f"/people/{target}")
    assert resp.status_code == 404
    assert client.get(f"/people/{world.ong_tu.id}").status_code == 200


def test_it_answers_404_for_an_impossibly_large_id(world, api):
    assert api.as_(world.lan).get(f"/people/{10**30}").status_code == 404


@pytest.mark.parametrize("staff", ["national", "ward_official", "checkpoint", "org_admin", "dpo"])
def test_it_keeps_staff_out_of_the_citizen_endpoints(world, api, staff):
    client = api.as_(getattr(world, staff))
    assert client.get("/people").status_code == 403
    assert client.post("/people", child()).status_code == 403
    # The ward official's jurisdiction covers Lan's child, but not through these endpoints.
    assert client.get(f"/people/{world.lan_child.id}").status_code == 404
    assert client.patch(f"/people/{world.lan_child.id}", {"street": "x"}).status_code == 404
    assert client.delete(f"/people/{world.lan_child.id}").status_code == 404
    assert client.get("/me/export").status_code == 403


def test_it_requires_a_token(world, api):
    assert api.get("/people").status_code == 401
    assert api.post("/people", child()).status_code == 401
