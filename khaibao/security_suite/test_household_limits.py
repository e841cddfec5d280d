"""Limits a real household has (issue 18, item 6).

One account once added 250 household members. A household now holds at most
HOUSEHOLD_MAX_PEOPLE people unless a health official of the area raised it (audited, with a
reason); a volunteer assists at most what their appointment allows. The OpenAPI schema states the
rules the services enforce, so generated clients and fuzzers see them.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.people.models import HouseholdMembership, Person


def _child(n: int) -> dict[str, Any]:
    return {"relation": "child", "full_name": f"Trần Bé {chr(65 + n)}", "sex": "male", "date_of_birth": "2019-05-05",
            "ward_code": 70}


def test_a_household_stops_at_its_limit_with_a_clear_message(sec, settings):
    lan = sec.api("citizen_owner")
    owner = sec.accounts["citizen_owner"]
    have = HouseholdMembership.objects.filter(owner=owner).count()
    settings.HOUSEHOLD_MAX_PEOPLE = have + 2
    assert [lan.post("/people", _child(n)).status_code for n in range(2)] == [201, 201]
    people = Person.objects.count()
    refused = lan.post("/people", _child(3))
    assert refused.status_code == 409, refused.content
    error = refused.json()["error"]
    assert error["code"] == "household_full"
    assert str(have + 2) in error["message"]
    assert "household" in error["fields"]
    assert "Một hộ có tối đa" in error["message"]  # Vietnamese by default
    english = lan.post("/people", _child(4), headers={"Accept-Language": "en"})
    assert "A household can have at most" in english.json()["error"]["message"]
    assert Person.objects.count() == people


def test_an_official_of_the_area_raises_the_limit_audited(sec, settings):
    lan = sec.api("citizen_owner")
    owner = sec.accounts["citizen_owner"]
    settings.HOUSEHOLD_MAX_PEOPLE = HouseholdMembership.objects.filter(owner=owner).count()
    assert lan.post("/people", _child(5)).status_code == 409
    body = {"max_people": settings.HOUSEHOLD_MAX_PEOPLE + 1, "reason": "Gia đình ba thế hệ sống chung"}
    # Nobody else may raise it: a citizen, an official elsewhere.
    assert lan.post(f"/cases/{sec.named.lan_self.id}/household-limit", body).status_code == 403
    assert sec.api("ward_official_out").post(f"/cases/{sec.named.lan_self.id}/household-limit", body).status_code == 404
    assert lan.post("/people", _child(5)).status_code == 409
    short = sec.api("ward_official").post(f"/cases/{sec.named.lan_self.id}/household-limit", {**body, "reason": "x"})
    assert short.status_code == 400
    assert "reason" in short.json()["error"]["fields"]
    raised = sec.api("ward_official").post(f"/cases/{sec.named.lan_self.id}/household-limit", body)
    assert raised.status_code == 200, raised.content
    assert raised.json() == {"max_people": body["max_people"], "households": 1}
    event = AuditEvent.objects.get(action="household.limit_raise", person_id=sec.named.lan_self.id)
    assert event.actor_id == sec.accounts["ward_official"].pk
    assert event.reason == body["reason"]
    assert event.data["owners"] == [owner.pk]
    assert lan.post("/people", _child(5)).status_code == 201
    assert lan.post("/people", _child(6)).status_code == 409


def _assisted(n: int) -> dict[str, Any]:
    return {"full_name": f"Cụ Bà {chr(65 + n)}", "birth_year": 1940, "sex": "female", "ward_code": 70,
            "id_number": f"0011400000{n:02d}",
            "consent_method": "witnessed", "attested": True, "witness_name": "Nguyễn Văn Chứng"}


def test_a_volunteer_assists_at_most_what_the_appointment_allows(sec, settings):
    volunteer = sec.api("volunteer")
    settings.VOLUNTEER_MAX_ASSISTED = 2  # Hà already assists Ông Tư
    assert volunteer.post("/volunteers/assisted", _assisted(0)).status_code == 201
    refused = volunteer.post("/volunteers/assisted", _assisted(1))
    assert refused.status_code == 409, refused.content
    assert refused.json()["error"]["code"] == "assisted_full"
    # A ward official appoints her again, for more people: the larger appointment counts.
    later = (timezone.now() + timedelta(days=30)).isoformat()
    appointed = sec.api("ward_official").post(
        "/volunteers", {"phone": "0900000009", "expires_at": later, "max_assisted": 3}
    )
    assert appointed.status_code == 201, appointed.content
    assert appointed.json()["max_assisted"] == 3
    assert volunteer.post("/volunteers/assisted", _assisted(1)).status_code == 201
    assert volunteer.post("/volunteers/assisted", _assisted(2)).status_code == 409
    bad = sec.api("ward_official").post("/volunteers", {"phone": "0900000009", "expires_at": later, "max_assisted": 0})
    assert bad.status_code == 400


@cache
def _schemas() -> dict[str, Any]:
    from khaibao.api.v1 import api

    return api.get_openapi_schema(path_prefix="/api/v1")["components"]["schemas"]


def test_the_schema_states_the_person_rules():
    person = _schemas()["PersonIn"]["properties"]
    id_number = person["id_number"]
    assert id_number["x-required-from-age"] == 14
    assert "14" in id_number["description"]
    assert "pattern" in id_number
    assert person["birth_year"]["minimum"] == 1900
    assert person["date_of_birth"]["formatMinimum"] == "1900-01-01"
    assert person["full_name"]["maxLength"] == 100
    assert person["relation"]["x-household-max-people"] == 20
    assert _schemas()["PersonPatch"]["properties"]["id_number"]["x-required-from-age"] == 14


def test_the_schema_states_the_declaration_rules():
    q = current_questionnaire()
    body = _schemas()["DeclarationBody"]["properties"]
    assert body["travel"]["maxItems"] == q.max_travel_entries
    assert body["exposures"]["maxItems"] == q.max_exposure_entries
    assert body["conditions"]["items"]["enum"] == list(q.conditions)
    travel = _schemas()["TravelBody"]["properties"]
    assert travel["from"]["x-within-last-days"] == q.lookback_days
    assert travel["to"]["x-not-before"] == "from"
    update = _schemas()["DailyUpdateBody"]["properties"]
    assert (update["temperature"]["minimum"], update["temperature"]["maximum"]) == (34.0, 43.0)
    assert update["symptoms"]["items"]["enum"] == list(q.symptoms)


def test_the_service_enforces_what_the_schema_states(sec):
    q = current_questionnaire()
    lan = sec.api("citizen_owner")
    trip = {"country": "TH", "from": ago(3), "to": ago(2)}
    too_many = lan.post(f"/people/{sec.named.lan_self.id}/declarations",
                        declaration(travel=[trip] * (q.max_travel_entries + 1)))
    assert too_many.status_code == 400
    assert "travel" in too_many.json()["error"]["fields"]
    old = lan.post(f"/people/{sec.named.lan_self.id}/declarations",
                   declaration(travel=[{**trip, "from": ago(q.lookback_days + 5), "to": ago(q.lookback_days + 4)}]))
    assert old.status_code == 400
    teen = lan.post("/people", {**_child(7), "date_of_birth": f"{timezone.localdate().year - 15}-01-01"})
    assert teen.status_code == 400
    assert "id_number" in teen.json()["error"]["fields"]
