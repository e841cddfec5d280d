"""Every refusal of issue 3's "Bad input": 400, the field named, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import ago, declaration, risk_declaration
from khaibao.monitoring.models import Assessment, PersonStatus


def _trip(**place: Any) -> dict[str, Any]:
    return {**place, "from": ago(5), "to": ago(3)}


BAD_DECLARATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("trip ends before it starts", {"travel": [{"province_code": 1, "from": ago(3), "to": ago(5)}]}, "travel.0.to"),
    ("trip starts in the future", {"travel": [{"province_code": 1, "from": ago(-1), "to": ago(-2)}]}, "travel.0.from"),
    ("trip ends in the future", {"travel": [{"province_code": 1, "from": ago(1), "to": ago(-1)}]}, "travel.0.to"),
    ("trip ended too long ago", {"travel": [{"province_code": 1, "from": ago(90), "to": ago(61)}]}, "travel.0.to"),
    ("trip date not a date", {"travel": [{"province_code": 1, "from": "2026-02-30", "to": ago(1)}]}, "travel.0.from"),
    ("unknown ward", {"travel": [_trip(ward_code=999999)]}, "travel.0.ward_code"),
    ("ward code out of any range", {"travel": [_trip(ward_code=10**30)]}, "travel.0.ward_code"),
    ("unknown province", {"travel": [_trip(province_code=99)]}, "travel.0.province_code"),
    ("unknown country", {"travel": [_trip(country="ZZ")]}, "travel.0.country"),
    ("Viet Nam as a country", {"travel": [_trip(country="VN")]}, "travel.0.country"),
    ("trip without a place", {"travel": [_trip()]}, "travel.0"),
    ("trip with two places", {"travel": [_trip(province_code=1, country="TH")]}, "travel.0"),
    ("more than 30 trips", {"travel": [_trip(country="TH")] * 31}, "travel"),
    ("onset in the future", {"symptoms": [{"code": "fever", "onset": ago(-1)}]}, "symptoms.0.onset"),
    ("onset too long ago", {"symptoms": [{"code": "fever", "onset": ago(61)}]}, "symptoms.0.onset"),
    ("unknown symptom", {"symptoms": [{"code": "sneezing", "onset": ago(1)}]}, "symptoms.0.code"),
    ("symptom twice", {"symptoms": [{"code": "fever", "onset": ago(1)}, {"code": "fever", "onset": ago(2)}]}, "symptoms.1.code"),
    ("exposure in the future", {"exposures": [{"code": "contact_confirmed", "date": ago(-1)}]}, "exposures.0.date"),
    ("unknown exposure", {"exposures": [{"code": "contact_alien", "date": ago(1)}]}, "exposures.0.code"),
    ("unknown condition", {"conditions": ["diabetes", "gout"]}, "conditions.1"),
    ("commitment not ticked", {"commitment": False}, "commitment"),
    ("consent not ticked", {"consent": False}, "consent"),
    ("unknown field", {"mood": "fine"}, "mood"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_DECLARATIONS, ids=[c[0] for c in BAD_DECLARATIONS])
def test_it_refuses_a_bad_declaration(world, api, case, overrides, field):
    resp = api.as_(world.lan).post(f"/api/v1/people/{world.lan_child.id}/declarations", declaration(**overrides))
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert field in error["fields"], error
    assert error["fields"][field]
    assert not Declaration.objects.exists()
    assert not Assessment.objects.exists()
    assert not PersonStatus.objects.filter(person=world.lan_child).exists()


@pytest.mark.parametrize("missing", ["commitment", "consent"])
def test_it_refuses_a_declaration_without_commitment_or_consent(world, api, missing):
    body = declaration()
    del body[missing]
    resp = api.as_(world.lan).post(f"/api/v1/people/{world.lan_child.id}/declarations", body)
    assert resp.status_code == 400
    assert missing in resp.json()["error"]["fields"]
    assert not Declaration.objects.exists()


def test_it_names_every_bad_field_at_once(world, api):
    resp = api.as_(world.lan).post(
        f"/api/v1/people/{world.lan_child.id}/declarations",
        declaration(consent=False, symptoms=[{"code": "fever", "onset": ago(-3)}]),
    )
    assert set(resp.json()["error"]["fields"]) == {"consent", "symptoms.0.onset"}


BAD_RISK_DECLARATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("three noes", {"contact_with_case": False, "contacts": []}, "contact_with_case"),
    ("contact without whom", {"contacts": []}, "contacts"),
    ("details for a no", {"suspect_infection": False, "symptoms": [{"code": "fever", "onset": ago(1)}]}, "symptoms"),
    ("area without where", {"came_from_epidemic_area": True, "travel": []}, "travel"),
    ("contact that is not a contact", {"contacts": [{"code": "animal_market", "date": ago(1)}]}, "contacts.0.code"),
    ("contact in the future", {"contacts": [{"code": "contact_confirmed", "date": ago(-1)}]}, "contacts.0.date"),
    ("area trip backwards", {"came_from_epidemic_area": True, "travel": [{"country": "TH", "from": ago(1), "to": ago(4)}]}, "travel.0.to"),
    ("no consent", {"consent": False}, "consent"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_RISK_DECLARATIONS, ids=[c[0] for c in BAD_RISK_DECLARATIONS])
def test_it_refuses_a_bad_risk_declaration(world, api, case, overrides, field):
    resp = api.as_(world.lan).post(f"/api/v1/people/{world.lan_child.id}/risk-declarations", risk_declaration(**overrides))
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not Declaration.objects.exists()
    assert not PersonStatus.objects.filter(person=world.lan_child).exists()
