from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.monitoring.models import Assessment, PersonStatus
from khaibao.people.models import Person
from khaibao.people.persons import id_number_index
from khaibao.tracing.models import Contact
from khaibao.tracing.tests.helpers import ago, contact, make_f0, make_f1

WELL = {"symptoms": [], "temperature": None, "feeling": "well"}


def _register(api: Any, official: Any, case: Any, body: dict[str, Any]) -> Any:
    return api.as_(official).post(f"/cases/{case.id}/contacts", body)


def test_it_puts_a_contact_from_another_province_in_their_own_wards_queue(world, api, sms):
    make_f0(world, api, world.lan_self)  # Hoàn Kiếm, Hà Nội
    resp = _register(api, world.ward_official, world.lan_self, contact())
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["level"] == "F1"
    assert body["matched_by"] == "new"
    # The invitation SMS is tried once the registration commits (tracing/invitations.py).
    assert Contact.objects.get(pk=body["id"]).invitation_status == "sent"
    assert len(sms.messages()) == 1
    # Outside the Hoàn Kiếm official's jurisdiction: initials only, and not where they live.
    assert body["ward_code"] is None
    assert body["full_name"] is None
    assert body["initials"] == "BVK"

    person = Person.objects.get(pk=body["person_id"])
    assert person.home_ward_id == world.sai_gon.code
    assert person.created_by_id == world.ward_official.id
    assert not person.households.exists()
    status = PersonStatus.objects.get(person=person)
    assert status.contact_level == "F1"
    assert status.level == "high"
    assert "high.contact_confirmed" in status.reasons
    assert status.home_ward_id == world.sai_gon.code
    assert status.home_province_id == world.hcmc.code
    assert status.in_queue is True
    assessment = Assessment.objects.get(person=person)
    assert assessment.source == "contact_tracing"
    assert assessment.monitoring_until is not None

    # The contact is in the triage queue of their own ward's officials, not in the case's.
    def queue(official: Any) -> list[int]:
        resp = api.as_(official).get("/triage", data={"reason": "contact", "limit": 50})
        assert resp.status_code == 200, resp.content
        return [item["person_id"] for item in resp.json()["items"]]

    assert person.id in queue(world.province_hcm)
    assert person.id in queue(world.national)
    assert person.id not in queue(world.ward_official)
    assert person.id not in queue(world.province)
    assert world.lan_self.id in queue(world.ward_official)


def test_it_matches_an_existing_person_by_phone(world, api):
    make_f0(world, api, world.lan_self)
    before = Person.objects.count()
    resp = _register(api, world.ward_official, world.lan_self, contact(full_name="Hoa", phone="0900000004"))
    assert resp.status_code == 201, resp.content
    assert resp.json()["person_id"] == world.hoa_self.id
    assert resp.json()["matched_by"] == "phone"
    assert Person.objects.count() == before
    assert PersonStatus.objects.get(person=world.hoa_self).contact_level == "F1"


def test_it_matches_an_existing_person_by_id_number_over_a_new_phone(world, api):
    make_f0(world, api, world.lan_self)
    before = Person.objects.count()
    body = contact(full_name="Lê Thị Mai", phone="0987654321", id_number="001 192 000 002", birth_year=None, sex=None)
    resp = _register(api, world.ward_official, world.lan_self, body)
    assert resp.status_code == 201, resp.content
    assert resp.json()["person_id"] == world.mai_self.id
    assert resp.json()["matched_by"] == "id_number"
    assert Person.objects.count() == before


def test_it_prefers_the_family_member_with_the_same_name_on_a_shared_phone(world, api):
    make_f0(world, api, world.hung_self)
    world.hung_spouse.phone = world.hung_self.phone
    world.hung_spouse.phone_index = world.hung_self.phone_index
    world.hung_spouse.save()
    resp = _register(
        api, world.province_hcm, world.hung_self, contact(full_name="đặng thị thu", phone="0900000003", ward_code=26740)
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["person_id"] == world.hung_spouse.id


def test_it_makes_contacts_of_an_f1_f2(world, api):
    make_f0(world, api, world.lan_self)
    f1 = _register(api, world.ward_official, world.lan_self, contact()).json()
    # The F1 lives in TP.HCM: TP.HCM's official traces their contacts.
    resp = _register(api, world.province_hcm, Person.objects.get(pk=f1["person_id"]), contact(phone="0900000004"))
    assert resp.status_code == 201, resp.content
    assert resp.json()["level"] == "F2"
    status = PersonStatus.objects.get(person=world.hoa_self)
    assert status.contact_level == "F2"
    assert status.level == "medium"
    assert "medium.contact_without_symptoms" in status.reasons
    assert status.in_queue is True
    assert Contact.objects.get(person=world.hoa_self).exposure == "contact_suspected"


def test_it_remembers_the_contact_when_the_person_sends_a_daily_update(world, api):
    make_f0(world, api, world.hung_self)
    _register(api, world.province_hcm, world.hung_self, contact(phone="0900000002"))  # Mai: F1
    make_f1(world, api, world.hoa_self)
    # Mai becomes F2 through Hoa as well; her F1 (closer) stays.
    _register(api, world.province_hcm, world.hoa_self, contact(phone="0900000002"))
    resp = api.as_(world.mai).put(f"/people/{world.mai_self.id}/updates/{ago(0)}", WELL)
    assert resp.status_code == 201, resp.content
    status = PersonStatus.objects.get(person=world.mai_self)
    assert status.contact_level == "F1"
    assert status.level == "high"
    assert "high.contact_confirmed" in status.reasons


def test_it_never_lowers_a_closer_contact_level(world, api):
    make_f0(world, api, world.lan_self)
    make_f0(world, api, world.mai_self)
    resp = _register(api, world.province, world.lan_self, contact(phone="0900000002"))
    assert resp.status_code == 201
    assert PersonStatus.objects.get(person=world.mai_self).contact_level == "F0"
    assert PersonStatus.objects.get(person=world.mai_self).is_f0 is True

    make_f1(world, api, world.nam_self)
    make_f1(world, api, world.hoa_self)
    # Nam (F1) is also a contact of Hoa (F1): that would make him F2, but F1 is closer.
    resp = _register(api, world.province_hcm, world.hoa_self, contact(phone="0900000005"))
    assert resp.status_code == 201
    assert resp.json()["level"] == "F2"
    assert PersonStatus.objects.get(person=world.nam_self).contact_level == "F1"


def test_it_invites_the_contact_by_sms_without_naming_the_case(world, api, sms, settings):
    settings.PUBLIC_BASE_URL = "https://khaibao.example.vn"
    make_f0(world, api, world.lan_self)
    _register(api, world.ward_official, world.lan_self, contact())
    messages = [m for m in sms.messages() if m["to"] == "+84912345678"]
    assert len(messages) == 1
    text = messages[0]["body"]
    assert "https://khaibao.example.vn/sign-in/" in text
    for name in ("Lan", "Nguyễn", "Nguyen", "Bùi", "Khách", "Hoàn Kiếm"):
        assert name not in text


def test_it_registers_the_same_contact_once(world, api, sms):
    make_f0(world, api, world.lan_self)
    first = _register(api, world.ward_official, world.lan_self, contact())
    people = Person.objects.count()
    again = _register(api, world.ward_official, world.lan_self, contact(kind="household"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["kind"] == "close"
    assert Person.objects.count() == people
    assert Contact.objects.count() == 1
    assert len(sms.messages()) == 1
    assert AuditEvent.objects.filter(action="contact.register").count() == 1


def test_it_audits_answering_an_already_registered_contact(world, api, sms):
    """The existing row answered again is an access to the contact's data: it leaves its own
    event, told apart from the registration, without personal data."""
    make_f0(world, api, world.lan_self)
    first = _register(api, world.ward_official, world.lan_self, contact())
    assert not AuditEvent.objects.filter(action="contact.already_registered").exists()
    again = _register(api, world.province, world.lan_self, contact(kind="household"))
    assert again.status_code == 200

    event = AuditEvent.objects.get(action="contact.already_registered")
    assert event.actor_id == world.province.id
    assert event.person_id == first.json()["person_id"]
    assert (event.object_type, event.object_id) == ("Contact", str(first.json()["id"]))
    assert event.data == {"source_person_id": world.lan_self.id, "matched_by": "phone"}
    dumped = str(event.data) + event.reason
    for secret in ("Khách", "0912345678", "+84912345678"):
        assert secret not in dumped
    assert AuditEvent.objects.filter(action="contact.register").count() == 1
    assert len(sms.messages()) == 1


def test_it_audits_the_existing_row_when_a_concurrent_registration_came_first(world, api, monkeypatch):
    make_f0(world, api, world.lan_self)
    first = _register(api, world.ward_official, world.lan_self, contact())
    real_filter = Contact.objects.filter
    missed: list[bool] = []

    def filter_missing_once(*args: Any, **kwargs: Any) -> Any:
        # The other request's row is not seen by the check, only by the unique constraint.
        if not missed:
            missed.append(True)
            return Contact.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Contact.objects, "filter", filter_missing_once)
    again = _register(api, world.ward_official, world.lan_self, contact())
    assert again.status_code == 200
    assert missed
    event = AuditEvent.objects.get(action="contact.already_registered")
    assert (event.person_id, event.object_id) == (first.json()["person_id"], str(first.json()["id"]))
    assert AuditEvent.objects.filter(action="contact.register").count() == 1


def test_it_audits_the_registration_without_personal_data(world, api):
    make_f0(world, api, world.lan_self)
    resp = _register(api, world.ward_official, world.lan_self, contact())
    event = AuditEvent.objects.get(action="contact.register")
    assert event.actor_id == world.ward_official.id
    assert event.person_id == resp.json()["person_id"]
    # Ids and how the contact was found only: the F-level and the contact's kind are health
    # details the trail would keep past erasure.
    assert event.data == {"source_person_id": world.lan_self.id, "matched_by": "new"}
    dumped = str(event.data) + event.reason
    for secret in ("Khách", "0912345678", "+84912345678", "F1", "close"):
        assert secret not in dumped
    assert AuditEvent.objects.filter(action="person.contacts_register", person_id=world.lan_self.id).exists()
    assert AuditEvent.objects.filter(action="person.create", person_id=resp.json()["person_id"]).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"full_name": "   "}, "full_name"),
        ({"full_name": "1234"}, "full_name"),
        ({"phone": "12345"}, "phone"),
        ({"phone": None, "id_number": None}, "phone"),
        ({"id_number": "12AB"}, "id_number"),
        ({"ward_code": 999999}, "ward_code"),
        ({"contact_date": ago(-1)}, "contact_date"),
        ({"contact_date": ago(30)}, "contact_date"),
        ({"contact_date": "02/03/2026"}, "contact_date"),
        ({"kind": "hug"}, "kind"),
        ({"birth_year": 1800}, "birth_year"),
        ({"birth_year": None}, "birth_year"),
        ({"sex": None}, "sex"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_it_refuses_bad_contacts_with_field_messages(world, api, sms, overrides, field):
    make_f0(world, api, world.lan_self)
    people = Person.objects.count()
    resp = _register(api, world.ward_official, world.lan_self, contact(**overrides))
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert Person.objects.count() == people
    assert not Contact.objects.exists()
    assert sms.messages() == []


def test_it_refuses_the_case_as_their_own_contact(world, api):
    make_f0(world, api, world.lan_self)
    resp = _register(api, world.ward_official, world.lan_self, contact(phone="0900000001", full_name="Nguyễn Thị Lan"))
    assert resp.status_code == 400
    assert "phone" in resp.json()["error"]["fields"]


def test_it_refuses_contacts_of_someone_who_is_not_a_case(world, api):
    resp = _register(api, world.ward_official, world.lan_self, contact())
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "not_a_case"
    # An F2 is not traced further either.
    make_f1(world, api, world.hoa_self)
    _register(api, world.province_hcm, world.hoa_self, contact(phone="0900000001"))
    assert PersonStatus.objects.get(person=world.lan_self).contact_level == "F2"
    assert _register(api, world.ward_official, world.lan_self, contact()).status_code == 409
    assert not Contact.objects.filter(source=world.lan_self).exists()


@pytest.mark.parametrize(("official", "case"), [("province_hcm", "lan_self"), ("province", "hung_self"), ("ward_official", "mai_self")])
def test_it_hides_cases_of_another_jurisdiction(world, api, official, case):
    person = getattr(world, case)
    make_f0(world, api, person)
    client = api.as_(getattr(world, official))
    assert client.post(f"/cases/{person.id}/contacts", contact()).status_code == 404
    assert client.get(f"/cases/{person.id}/contacts").status_code == 404
    assert client.get("/cases/999999999/contacts").status_code == 404
    assert not Contact.objects.exists()


@pytest.mark.parametrize("who", ["lan", "checkpoint", "org_admin", "dpo"])
def test_it_refuses_everyone_but_officials(world, api, who):
    make_f0(world, api, world.lan_self)
    client = api.as_(getattr(world, who))
    resp = client.post(f"/cases/{world.lan_self.id}/contacts", contact())
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "officials_only"
    assert client.get(f"/cases/{world.lan_self.id}/contacts").status_code == 403
    assert api.get(f"/cases/{world.lan_self.id}/contacts").status_code == 401


def test_it_lists_the_contacts_of_a_case_in_few_queries(world, api):
    make_f0(world, api, world.lan_self)
    client = api.as_(world.province)

    def listing() -> tuple[Any, int]:
        with CaptureQueriesContext(connection) as queries:
            resp = client.get(f"/cases/{world.lan_self.id}/contacts")
        assert resp.status_code == 200
        return resp.json(), len(queries)

    client.post(f"/cases/{world.lan_self.id}/contacts", contact())  # TP.HCM
    _rows, one = listing()
    client.post(f"/cases/{world.lan_self.id}/contacts", contact(phone="0900000002", ward_code=4))  # Mai, Hà Nội
    client.post(f"/cases/{world.lan_self.id}/contacts", contact(phone="0900000005"))  # Nam, Hà Nội
    rows, three = listing()
    assert [r["initials"] for r in rows] == ["ĐVN", "LTM", "BVK"]
    assert [r["full_name"] for r in rows] == ["Đỗ Văn Nam", "Lê Thị Mai", None]
    # Token, access + audit, then two for the list whatever its length.
    assert three == one
    assert three <= 12


# --- the registration oracle: looking people up by number is never silent -------------------


@pytest.mark.parametrize(
    ("identity", "key", "index_of", "canonical"),
    [
        ({"id_number": "001199000123", "phone": None}, "id_number_index", id_number_index, "001199000123"),
        ({"phone": "0912345678"}, "phone_index", phone_index, "+84912345678"),
    ],
)
def test_it_audits_a_number_nobody_has_with_its_blind_index_only(world, api, sms, identity, key, index_of, canonical):
    make_f0(world, api, world.lan_self)
    people = Person.objects.count()
    body = contact(full_name="Người Chưa Đăng Ký", birth_year=None, sex=None, **identity)
    resp = _register(api, world.ward_official, world.lan_self, body)
    # Still the workflow's answer: give the birth year and sex to register the person.
    assert resp.status_code == 400, resp.content
    assert set(resp.json()["error"]["fields"]) == {"birth_year", "sex"}
    assert Person.objects.count() == people
    assert not Contact.objects.exists()
    # …but the miss is in the trail, although the refused write was rolled back.
    event = AuditEvent.objects.get(action="contact.lookup_refused")
    assert event.actor_id == world.ward_official.id
    assert event.reason == "contacts_register"
    assert event.data["outcome"] == "not_registered"
    assert event.data["source_person_id"] == world.lan_self.id
    assert event.data[key] == index_of(canonical)
    assert canonical[-9:] not in str(event.data) + event.reason
    assert "Chưa" not in str(event.data)


def test_it_leaves_no_refusal_when_the_number_is_registered(world, api):
    make_f0(world, api, world.lan_self)
    body = contact(full_name="Lê Thị Mai", phone=None, id_number="001192000002", birth_year=None, sex=None)
    assert _register(api, world.ward_official, world.lan_self, body).status_code == 201
    assert not AuditEvent.objects.filter(action="contact.lookup_refused").exists()
    assert AuditEvent.objects.filter(action="contact.register", person_id=world.mai_self.id).exists()


def test_it_does_not_say_where_a_contact_outside_the_jurisdiction_lives(world, api):
    make_f0(world, api, world.lan_self)  # Hoàn Kiếm; Hùng lives in TP.HCM
    body = contact(full_name="Phạm Văn Hùng", phone=None, id_number="079079000004", birth_year=None, sex=None,
                   ward_code=world.hoan_kiem.code)
    resp = _register(api, world.ward_official, world.lan_self, body)
    assert resp.status_code == 201, resp.content
    listed = api.as_(world.ward_official).get(f"/cases/{world.lan_self.id}/contacts").json()
    for row in (resp.json(), listed[0]):
        assert row["full_name"] is None
        assert row["initials"] == "PVH"
        assert row.get("ward_code") is None
        assert not row.get("ward_name")
        assert not row.get("province_name")
