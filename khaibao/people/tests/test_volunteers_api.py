"""Volunteers (issue 7) through the API: appointments, consent, expiry and revocation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.accounts.models import Account
from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.declarations.tests.helpers import declaration
from khaibao.orgs import volunteers as appointments
from khaibao.orgs.models import OrgUnit
from khaibao.people.access import is_active_volunteer
from khaibao.people.models import VolunteerAppointment

ASSISTED_PHONE = "+84912000111"


def later(days: float = 30) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def assisted(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "full_name": "Lê Thị Bảy", "birth_year": 1940, "sex": "female", "id_number": "001140000777",
        "ward_code": 1, "street": "Số 9 ngõ Huế", "consent_method": "witnessed",
        "witness_name": "Nguyễn Văn Tổ", "attested": True,
    }
    body.update(overrides)
    return body


def appoint(api, world, by, phone="0900000002", **extra):
    return api.as_(by).post("/volunteers", {"phone": phone, "expires_at": later(), **extra})


def start(api, world, volunteer, **overrides):
    body = assisted(**{"ward_code": world.hoan_kiem.code, **overrides})
    return api.as_(volunteer).post("/volunteers/assisted", body)


# --- appointments ----------------------------------------------------------------------------


def test_it_lets_an_org_admin_appoint_a_citizen_of_their_subtree(world, api):
    hn = OrgUnit.objects.get(path="TWD/HN")
    resp = appoint(api, world, world.org_admin, org_unit_id=hn.pk)
    assert resp.status_code == 201, resp.json()
    assert resp.json()["org_unit_id"] == hn.pk
    assert resp.json()["active"] is True
    assert "volunteer" in api.as_(world.mai).get("/me").json()["roles"]
    assert AuditEvent.objects.filter(action="volunteer.appoint", actor=world.org_admin).exists()
    ids = [a["id"] for a in api.as_(world.org_admin).get("/volunteers").json()]
    assert resp.json()["id"] in ids


def test_it_keeps_who_is_a_volunteer_in_the_appointments_alone(world, api):
    """No flag on the account copies the appointment (a copy drifts: an appointment that expires
    on its own never reset it): appointing and revoking leave the account row as it was, and
    being a volunteer is asked of the appointments in force."""
    def account_row() -> dict[str, Any]:
        return Account.objects.filter(pk=world.mai.pk).values().get()

    before = account_row()
    resp = appoint(api, world, world.org_admin)
    assert resp.status_code == 201, resp.json()
    assert account_row() == before
    assert is_active_volunteer(world.mai)

    assert api.as_(world.org_admin).delete(f"/volunteers/{resp.json()['id']}").status_code == 204
    assert account_row() == before
    assert not is_active_volunteer(world.mai)
    assert "is_volunteer" not in {f.name for f in Account._meta.get_fields()}


def test_it_answers_404_for_a_unit_outside_the_org_admins_subtree(world, api):
    other = OrgUnit.objects.create(code="OTHER", name="Another organisation")
    resp = appoint(api, world, world.org_admin, org_unit_id=other.pk)
    assert resp.status_code == 404
    assert not VolunteerAppointment.objects.filter(org_unit=other).exists()
    assert "volunteer" not in api.as_(world.mai).get("/me").json()["roles"]


def test_it_lets_a_ward_official_appoint_for_their_ward_only(world, api):
    resp = appoint(api, world, world.ward_official)
    assert resp.status_code == 201, resp.json()
    assert resp.json()["ward_code"] == world.hoan_kiem.code
    # The demo volunteer's appointment belongs to the organisation: not this ward's to see or revoke.
    demo = VolunteerAppointment.objects.get(account=world.volunteer)
    assert api.as_(world.ward_official).delete(f"/volunteers/{demo.pk}").status_code == 404
    assert demo.pk not in [a["id"] for a in api.as_(world.ward_official).get("/volunteers").json()]
    # Officials above ward level, and citizens, do not appoint.
    assert appoint(api, world, world.province).status_code == 403
    assert appoint(api, world, world.lan).status_code == 403


def test_it_refuses_an_unknown_phone_and_a_past_expiry(world, api):
    resp = api.as_(world.org_admin).post("/volunteers", {"phone": "0988777666", "expires_at": later(-1)})
    assert resp.status_code == 400
    assert set(resp.json()["error"]["fields"]) == {"phone", "expires_at"}


def test_it_audits_a_phone_without_an_account_by_its_blind_index_only(world, api):
    resp = appoint(api, world, world.org_admin, phone="0988777666")
    # Kept: an appointment needs an account (docs/security.md, "a known, audited oracle").
    assert resp.status_code == 400
    event = AuditEvent.objects.get(action="volunteer.appoint_refused")
    assert event.actor_id == world.org_admin.id
    assert event.reason == "volunteer_appoint"
    assert event.data["phone_index"] == phone_index("+84988777666")
    assert "988777666" not in str(event.data)
    # An appointment that works leaves no refusal.
    assert appoint(api, world, world.org_admin).status_code == 201
    assert AuditEvent.objects.filter(action="volunteer.appoint_refused").count() == 1


def test_it_pauses_an_appointer_who_tries_too_many_phones_without_an_account(world, api, monkeypatch):
    monkeypatch.setattr(appointments, "PHONE_MISSES_PER_HOUR", 2)
    for phone in ("0988777661", "0988777662"):
        assert appoint(api, world, world.org_admin, phone=phone).status_code == 400
    # Paused whatever the phone, so the answer says nothing more about it.
    for phone in ("0988777663", "0900000002"):
        resp = appoint(api, world, world.org_admin, phone=phone)
        assert resp.status_code == 429
        assert "Retry-After" in resp.headers
    assert AuditEvent.objects.filter(action="volunteer.appoint_refused").count() == 2
    assert AuditEvent.objects.filter(action="volunteer.appoint_limited", actor=world.org_admin).count() == 2
    assert not VolunteerAppointment.objects.filter(account=world.mai).exists()
    # Another appointer is not paused.
    assert appoint(api, world, world.ward_official).status_code == 201


def test_it_ends_access_to_assisted_people_when_the_appointment_expires(world, api, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    resp = api.as_(world.org_admin).post("/volunteers", {"phone": "0900000002", "expires_at": later(2)})
    assert resp.status_code == 201
    started = start(api, world, world.mai)
    assert started.status_code == 201, started.json()
    person_id = started.json()["person"]["id"]
    assert api.as_(world.mai).get(f"/people/{person_id}").status_code == 200

    time_machine.shift(timedelta(days=2, seconds=1))
    assert api.as_(world.mai).get(f"/people/{person_id}").status_code == 404
    assert api.as_(world.mai).post(f"/people/{person_id}/declarations", declaration()).status_code == 404
    assert "volunteer" not in api.as_(world.mai).get("/me").json()["roles"]


def test_it_ends_access_when_the_appointment_is_revoked(world, api):
    tu = world.ong_tu.id
    assert api.as_(world.volunteer).get(f"/people/{tu}").status_code == 200
    demo = VolunteerAppointment.objects.get(account=world.volunteer)
    assert api.as_(world.org_admin).delete(f"/volunteers/{demo.pk}").status_code == 204
    assert api.as_(world.volunteer).get(f"/people/{tu}").status_code == 404
    assert AuditEvent.objects.filter(action="volunteer.revoke").exists()


def test_it_stops_a_revoked_volunteer_confirming_or_resending_consent(world, api, sms):
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    code = sms.last_code(ASSISTED_PHONE)
    demo = VolunteerAppointment.objects.get(account=world.volunteer)
    assert api.as_(world.org_admin).delete(f"/volunteers/{demo.pk}").status_code == 204
    client = api.as_(world.volunteer)
    assert client.get("/volunteers/assisted").json() == []
    assert client.post(f"/volunteers/assisted/{body['id']}/confirm", {"code": code}).status_code == 404
    assert client.post(f"/volunteers/assisted/{body['id']}/resend", {}).status_code == 404
    assert len([m for m in sms.messages() if m["to"] == ASSISTED_PHONE]) == 1


def test_it_ends_a_delegation_on_request(world, api):
    started = start(api, world, world.volunteer).json()
    person_id = started["person"]["id"]
    assert api.as_(world.volunteer).delete(f"/volunteers/assisted/{started['id']}").status_code == 204
    assert api.as_(world.volunteer).get(f"/people/{person_id}").status_code == 404
    assert api.as_(world.volunteer).delete(f"/volunteers/assisted/{started['id']}").status_code == 404


# --- assisted people and consent -----------------------------------------------------------


def test_it_records_witnessed_consent_with_the_attestation(world, api):
    resp = start(api, world, world.volunteer)
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["consent_method"] == "witnessed"
    assert body["consent_witness"] == "Nguyễn Văn Tổ"
    assert body["pending"] is False
    assert api.as_(world.volunteer).get(f"/people/{body['person']['id']}").status_code == 200


def test_it_refuses_witnessed_consent_without_attestation_or_witness(world, api):
    resp = start(api, world, world.volunteer, attested=False, witness_name="")
    assert resp.status_code == 400
    assert {"attested", "witness_name"} <= set(resp.json()["error"]["fields"])


def test_it_applies_the_household_member_rules(world, api):
    resp = start(api, world, world.volunteer, id_number="", ward_code=999999)
    assert resp.status_code == 400
    assert {"id_number", "ward_code"} <= set(resp.json()["error"]["fields"])
    # A number someone else holds is accepted and reviewed by officials (no registration oracle).
    taken = start(api, world, world.volunteer, id_number="001188000001")  # Lan's
    assert taken.status_code == 201


def test_it_refuses_a_citizen_who_is_not_a_volunteer(world, api):
    assert start(api, world, world.lan).status_code == 403


def test_it_records_consent_by_a_code_sent_to_the_persons_phone(world, api, sms):
    resp = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE)
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["pending"] is True
    person_id = body["person"]["id"]
    assert api.as_(world.volunteer).get(f"/people/{person_id}").status_code == 404
    client = api.as_(world.volunteer)
    code = sms.last_code(ASSISTED_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    assert client.post(f"/volunteers/assisted/{body['id']}/confirm", {"code": wrong}).status_code == 400
    ok = client.post(f"/volunteers/assisted/{body['id']}/confirm", {"code": code})
    assert ok.status_code == 200, ok.json()
    assert ok.json()["consent_method"] == "code"
    assert ok.json()["pending"] is False
    assert client.get(f"/people/{person_id}").status_code == 200


def test_it_refuses_an_expired_consent_code(world, api, sms, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    code = sms.last_code(ASSISTED_PHONE)
    time_machine.shift(timedelta(seconds=301))
    resp = api.as_(world.volunteer).post(f"/volunteers/assisted/{body['id']}/confirm", {"code": code})
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"]["code"]


def test_it_stops_accepting_a_consent_code_after_five_wrong_guesses(world, api, sms, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    client = api.as_(world.volunteer)
    code = sms.last_code(ASSISTED_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post(f"/volunteers/assisted/{body['id']}/confirm", {"code": wrong}).status_code == 400
    assert client.post(f"/volunteers/assisted/{body['id']}/confirm", {"code": code}).status_code == 400
    assert client.get(f"/people/{body['person']['id']}").status_code == 404
    # A fresh code works again (once the resend cooldown is over).
    time_machine.shift(timedelta(seconds=61))
    assert client.post(f"/volunteers/assisted/{body['id']}/resend").status_code == 204
    fresh = sms.last_code(ASSISTED_PHONE)
    assert client.post(f"/volunteers/assisted/{body['id']}/confirm", {"code": fresh}).status_code == 200


def test_it_refuses_a_code_without_a_phone_or_to_the_volunteers_own_phone(world, api):
    for phone in (None, "0900000009"):
        resp = start(api, world, world.volunteer, consent_method="code", phone=phone)
        assert resp.status_code == 400
        assert "phone" in resp.json()["error"]["fields"]


# --- declaring, and the family seeing it -----------------------------------------------------


def test_it_records_the_volunteer_as_declarer_and_the_family_sees_it(world, api, sms):
    # Consent by the code sent to the person's phone: that phone's first sign-in takes them over
    # (a typed phone alone does not: test_assisted_link.py).
    body = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE).json()
    person_id = body["person"]["id"]
    client = api.as_(world.volunteer)
    confirmed = client.post(f"/volunteers/assisted/{body['id']}/confirm", {"code": sms.last_code(ASSISTED_PHONE)})
    assert confirmed.status_code == 200, confirmed.json()
    declared = client.post(f"/people/{person_id}/declarations", declaration())
    assert declared.status_code == 201, declared.json()
    assert declared.json()["declared_as"] == "volunteer"

    # Later the person (or their family) signs in with that phone: the person is their "self".
    assert api.post("/auth/otp/request", {"phone": "0912000111"}).status_code == 202
    token = api.post("/auth/otp/verify", {"phone": "0912000111", "code": sms.last_code(ASSISTED_PHONE)}).json()
    from khaibao.conftest import ApiClient

    family = ApiClient(token["token"])
    people = family.get("/people").json()
    assert [(p["id"], p["relation"]) for p in people] == [(person_id, "self")]
    history = family.get(f"/people/{person_id}/declarations").json()
    assert history["items"][0]["declared_as"] == "volunteer"
    exported = family.get("/me/export").json()
    assert exported["people"][0]["declarations"][0]["declared_by_volunteer"] == "Trần Thu Hà"


def test_a_keyed_registration_sends_one_consent_code_and_replays_its_answer(world, api, sms):
    # The consent SMS goes out after its code commits, not inside the key's transaction
    # (api/volunteers.py, idempotency_outside_transaction); a retry replays, sending nothing.
    body = assisted(**{"ward_code": world.hoan_kiem.code, "consent_method": "code", "phone": ASSISTED_PHONE})
    headers = {"Idempotency-Key": "register-bay-1"}
    first = api.as_(world.volunteer).post("/volunteers/assisted", body, headers=headers)
    assert first.status_code == 201, first.json()
    again = api.as_(world.volunteer).post("/volunteers/assisted", body, headers=headers)
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert len([m for m in sms.messages() if m["to"] == ASSISTED_PHONE]) == 1
