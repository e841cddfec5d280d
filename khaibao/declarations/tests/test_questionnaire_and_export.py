from __future__ import annotations

from khaibao.declarations.questionnaires import CONSENT_TEXTS, current_questionnaire
from khaibao.declarations.selectors import declarations_for_export
from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.monitoring.selectors import updates_for_export
from khaibao.risk import engine
from khaibao.venues.exposure import EXPOSURE_CODE as VENUE_EXPOSURE


def test_it_only_asks_about_codes_the_risk_rules_know():
    q = current_questionnaire()
    assert set(q.symptoms) == engine.SYMPTOM_CODES
    # A venue exposure is recorded by the system (a check-in where a case was), never asked.
    assert VENUE_EXPOSURE in engine.EXPOSURE_CODES
    assert set(q.exposures) == engine.EXPOSURE_CODES - {VENUE_EXPOSURE}
    assert set(q.conditions) == engine.CONDITION_CODES
    assert set(q.risk_contacts) <= set(q.exposures)
    assert q.consent_version in CONSENT_TEXTS


def test_it_exports_declarations_and_updates_as_plain_data(world, api):
    client = api.as_(world.lan)
    client.post(f"/api/v1/people/{world.lan_self.id}/declarations", declaration(symptoms=[{"code": "cough", "onset": ago(1)}]))
    client.put(f"/api/v1/people/{world.lan_self.id}/updates/{ago(0)}", {"symptoms": ["cough"], "temperature": 37.5, "feeling": "unwell"})

    declarations = declarations_for_export(world.lan_self)
    assert [d["version"] for d in declarations] == [1]
    assert declarations[0]["answers"]["symptoms"] == [{"code": "cough", "onset": ago(1)}]
    assert declarations[0]["assessment"]["level"] == "medium"
    assert declarations[0]["declared_as"] == "self"
    updates = updates_for_export(world.lan_self)
    assert updates == [{
        "day": ago(0), "symptoms": ["cough"], "temperature": 37.5, "feeling": "unwell", "updated_as": "self",
        "created_at": updates[0]["created_at"], "updated_at": updates[0]["updated_at"],
    }]
    assert declarations_for_export(world.mai_self) == []
