from __future__ import annotations

from datetime import timedelta

from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import ago, declaration, risk_declaration, today
from khaibao.monitoring.models import PersonStatus
from khaibao.risk.engine import ZoneFact
from khaibao.risk.zones import zones_registered


def test_it_flags_a_risk_declaration_for_officials(world, api):
    resp = api.as_(world.lan).post(f"/api/v1/people/{world.lan_parent.id}/risk-declarations", risk_declaration())
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["kind"] == "risk"
    assert body["assessment"]["level"] == "medium"
    assert "medium.contact_without_symptoms" in [r["rule"] for r in body["assessment"]["reasons"]]
    status = PersonStatus.objects.get(person=world.lan_parent)
    assert status.needs_attention is True
    assert status.level == "medium"


def test_it_flags_even_a_low_risk_declaration(world, api):
    # Someone who had a symptom long enough ago that it no longer counts is still worth a call.
    resp = api.as_(world.lan).post(
        f"/api/v1/people/{world.lan_parent.id}/risk-declarations",
        risk_declaration(contact_with_case=False, contacts=[], suspect_infection=True,
                         symptoms=[{"code": "cough", "onset": ago(30)}]),
    )
    assert resp.json()["assessment"]["level"] == "low"
    assert PersonStatus.objects.get(person=world.lan_parent).needs_attention is True


def test_it_treats_a_declared_epidemic_area_as_an_epidemic_zone(world, api):
    resp = api.as_(world.lan).post(
        f"/api/v1/people/{world.lan_self.id}/risk-declarations",
        risk_declaration(
            contact_with_case=False, contacts=[], came_from_epidemic_area=True,
            travel=[{"province_code": 79, "from": ago(6), "to": ago(4)}],
            suspect_infection=True, symptoms=[{"code": "cough", "onset": ago(1)}],
        ),
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["assessment"]["level"] == "high"
    assert "high.symptoms_after_zone_travel" in [r["rule"] for r in resp.json()["assessment"]["reasons"]]


def test_it_assesses_a_risk_declaration_together_with_the_declaration(world, api):
    client = api.as_(world.lan)
    client.post(f"/api/v1/people/{world.lan_self.id}/declarations", declaration(symptoms=[{"code": "fever", "onset": ago(2)}]))
    resp = client.post(
        f"/api/v1/people/{world.lan_self.id}/risk-declarations",
        risk_declaration(contacts=[{"code": "contact_suspected", "date": ago(3)}]),
    )
    assert resp.json()["assessment"]["level"] == "high"
    assert Declaration.objects.filter(person=world.lan_self).count() == 2


def test_it_uses_epidemic_zones_from_the_zone_seam(world, api):
    zone = ZoneFact(zone_id="z1", level=3, lockdown=False, active_from=today() - timedelta(days=20), active_until=None, ward_codes=frozenset({world.sai_gon.code}))
    with zones_registered(zone):
        resp = api.as_(world.lan).post(
            f"/api/v1/people/{world.lan_self.id}/declarations",
            declaration(travel=[{"ward_code": world.sai_gon.code, "from": ago(5), "to": ago(3)}]),
        )
    assert resp.json()["assessment"]["level"] == "medium"
    assert resp.json()["answers"]["travel"][0]["province_code"] == world.sai_gon.province_id
